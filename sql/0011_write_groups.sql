-- Group commit: several independent single-statement writes (ledger_apply, redemption_claim,
-- redemption_redeem) in one round trip and one database transaction, each in its own
-- subtransaction, so that one item's refusal (insufficient_points, out_of_stock, ...) rolls back
-- that item alone while the others commit together. The service groups requests that arrive while
-- earlier groups are still running; a caller hears its answer only after the group has committed.
--
-- Lock order, the same as everywhere else: claims being redeemed, then every ledger account any
-- item will touch, in id order, then the packs being claimed, in id order. Everything is locked up
-- front, before the first item runs, so two groups (or a group and a single write) never wait on
-- each other in a cycle, however their items interleave.
--
-- p: [{"op": "ledger" | "claim" | "redeem", "arg": <that function's argument>}, ...]
-- Returns one element per item, in order: {"ok": <the function's result>} or
-- {"error": {code, message, detail, constraint_name}} for a refusal. Errors that are not an item's
-- own refusal (serialization failures, deadlocks, timeouts, bugs) are not caught: they fail the
-- whole group, which then did nothing.

create function write_group(p jsonb) returns jsonb
  language plpgsql
  as $$
  declare
    v_item jsonb;
    v_result jsonb;
    v_out jsonb := '[]'::jsonb;
    v_state text;
    v_message text;
    v_detail text;
    v_constraint text;
    v_redemptions uuid[];
    v_reverses uuid[];
    v_accounts uuid[];
    v_packs uuid[];
  begin
    -- The ids go into arrays first: matched against "= any(array)" they are found through the
    -- primary keys, where a join against the jsonb elements would be planned as a sequential scan.
    select coalesce(array_agg((i->'arg'->>'id')::uuid), '{}') into v_redemptions
      from jsonb_array_elements(p) i where i->>'op' = 'redeem';
    select coalesce(array_agg((i->'arg'->'transaction'->>'reverses')::uuid), '{}') into v_reverses
      from jsonb_array_elements(p) i where i->>'op' = 'ledger' and i->'arg'->'transaction'->>'reverses' is not null;
    select coalesce(array_agg((i->'arg'->'redemption'->>'packId')::uuid), '{}') into v_packs
      from jsonb_array_elements(p) i where i->>'op' = 'claim';

    if cardinality(v_redemptions) > 0 then
      perform 1 from redemptions where id = any(v_redemptions) order by id for update;
    end if;
    select coalesce(array_agg(a.id), '{}') into v_accounts
      from (
        select (e->>'account')::uuid
          from jsonb_array_elements(p) i, jsonb_array_elements(coalesce(i->'arg'->'postings', '[]'::jsonb)) e
         where i->>'op' = 'ledger'
        union all
        select lp.account_id from ledger_postings lp where lp.transaction_id = any(v_reverses)
        union all
        select v.id
          from jsonb_array_elements(p) i,
               lateral (values ((i->'arg'->'redemption'->>'volunteerId')::uuid),
                               (ledger_account_id('held:' || (i->'arg'->'redemption'->>'volunteerId')))) v (id)
         where i->>'op' = 'claim'
        union all
        select v.id
          from redemptions r, lateral (values (ledger_account_id('held:' || r.volunteer_id)), (r.merchant_id)) v (id)
         where r.id = any(v_redemptions)
      ) a (id);
    perform 1 from accounts where id = any(v_accounts) order by id for no key update;
    if cardinality(v_packs) > 0 then
      perform 1 from packs where id = any(v_packs) order by id for no key update;
    end if;

    for v_item in select value from jsonb_array_elements(p) loop
      begin
        v_result := case v_item->>'op'
          when 'ledger' then ledger_apply(v_item->'arg')
          when 'claim' then redemption_claim(v_item->'arg')
          when 'redeem' then redemption_redeem(v_item->'arg')
        end;
        if v_result is null then
          raise exception 'write_group: unknown op %', v_item->>'op' using errcode = 'XX000';
        end if;
        v_out := v_out || jsonb_build_array(jsonb_build_object('ok', v_result));
      exception when plpgsql_error or integrity_constraint_violation or data_exception then
        get stacked diagnostics v_state = returned_sqlstate, v_message = message_text,
                                v_detail = pg_exception_detail, v_constraint = constraint_name;
        v_out := v_out || jsonb_build_array(jsonb_build_object('error', jsonb_build_object(
          'code', v_state, 'message', v_message, 'detail', nullif(v_detail, ''), 'constraint_name', nullif(v_constraint, ''))));
      end;
    end loop;
    return v_out;
  end
  $$;
