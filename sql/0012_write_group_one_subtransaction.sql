-- Group commit without a subtransaction per item in the common case.
--
-- 0011 ran every item of a group in its own subtransaction, after the group had locked its rows in
-- the top-level transaction. An UPDATE made in a subtransaction of a row its parent has locked
-- cannot simply stamp the row with its own transaction id: PostgreSQL records the parent's lock and
-- the child's update together in a MultiXact, and every later item updating the same row (the pack
-- every claim takes a unit of, the shop account every redeem pays into) makes a new, larger one
-- that the next has to read back. Under load that was the largest single cost in PostgreSQL's
-- profile of claims and redeems.
--
-- Now a group normally runs whole, locks and items alike, inside one subtransaction: every lock and
-- every row version belongs to one transaction id, and there is one subtransaction per group rather
-- than one per item. If an item is refused, that attempt is rolled back entirely, locks included,
-- and the group runs again as in 0011, each item in its own subtransaction, so a refusal still
-- changes only its own write; the answers are those of the run that commits. When refusals are
-- expected (the service saw one in the previous group of the same kind, say while a pack sells
-- out), the caller asks for that second way at once (p_each_alone) rather than pay for an attempt
-- bound to fail. Errors that are not an item's refusal still fail the whole group, as in 0011.
--
-- Lock order and item formats are 0011's, unchanged; write_group(jsonb) is replaced by
-- write_group(jsonb, boolean).

drop function write_group(jsonb);

-- Locks everything the group's items will touch, in the global order: claims being redeemed, then
-- every ledger account, in id order, then the packs being claimed, in id order. Each kind of item
-- has its own statement, run only when the group holds such items, and the statements always use
-- their generic plans (index scans on the primary keys, whatever the arrays hold). One UNION over
-- every kind, as in 0011, left most arrays empty in any group; PostgreSQL's custom plan for an
-- empty array looks nearly free beside the generic plan, so it planned the query again at every
-- call, about a millisecond per group of twelve claims.
create function write_group_lock(p jsonb) returns void
  language plpgsql
  set plan_cache_mode = force_generic_plan
  as $$
  declare
    v_redemptions uuid[];
    v_reverses uuid[];
    v_claimers uuid[];
    v_packs uuid[];
    v_accounts uuid[];
  begin
    select coalesce(array_agg((i->'arg'->>'id')::uuid) filter (where i->>'op' = 'redeem'), '{}'),
           coalesce(array_agg((i->'arg'->'transaction'->>'reverses')::uuid)
                      filter (where i->>'op' = 'ledger' and i->'arg'->'transaction'->>'reverses' is not null), '{}'),
           coalesce(array_agg((i->'arg'->'redemption'->>'volunteerId')::uuid) filter (where i->>'op' = 'claim'), '{}'),
           coalesce(array_agg((i->'arg'->'redemption'->>'packId')::uuid) filter (where i->>'op' = 'claim'), '{}'),
           coalesce(array_agg((e->>'account')::uuid) filter (where e is not null), '{}')
      into v_redemptions, v_reverses, v_claimers, v_packs, v_accounts
      from jsonb_array_elements(p) i
      left join lateral jsonb_array_elements(case when i->>'op' = 'ledger' then i->'arg'->'postings' end) e on true;

    if cardinality(v_redemptions) > 0 then
      perform 1 from redemptions where id = any(v_redemptions) order by id for update;
      -- A redeem moves points from the volunteer's held account to the shop's.
      v_accounts := v_accounts || array(
        select v.id from redemptions r, lateral (values (ledger_account_id('held:' || r.volunteer_id)), (r.merchant_id)) v (id)
         where r.id = any(v_redemptions));
    end if;
    if cardinality(v_reverses) > 0 then
      v_accounts := v_accounts || array(select account_id from ledger_postings where transaction_id = any(v_reverses));
    end if;
    if cardinality(v_claimers) > 0 then
      -- A claim moves points from the volunteer's account to its held account.
      v_accounts := v_accounts || v_claimers || array(select ledger_account_id('held:' || c) from unnest(v_claimers) c);
    end if;

    perform 1 from accounts where id = any(v_accounts) order by id for no key update;
    if cardinality(v_packs) > 0 then
      perform 1 from packs where id = any(v_packs) order by id for no key update;
    end if;
  end
  $$;

-- One item of a group: {"op": "ledger" | "claim" | "redeem", "arg": <that function's argument>}.
create function write_group_item(p_item jsonb) returns jsonb
  language plpgsql
  as $$
  declare
    v_result jsonb;
  begin
    v_result := case p_item->>'op'
      when 'ledger' then ledger_apply(p_item->'arg')
      when 'claim' then redemption_claim(p_item->'arg')
      when 'redeem' then redemption_redeem(p_item->'arg')
    end;
    if v_result is null then
      raise exception 'write_group: unknown op %', p_item->>'op' using errcode = 'XX000';
    end if;
    return v_result;
  end
  $$;

-- p and the result as in 0011: one {"ok": ...} or {"error": {code, message, detail,
-- constraint_name}} per item, in order.
create function write_group(p jsonb, p_each_alone boolean) returns jsonb
  language plpgsql
  as $$
  declare
    v_item jsonb;
    v_out jsonb := '[]'::jsonb;
    v_state text;
    v_message text;
    v_detail text;
    v_constraint text;
  begin
    if not p_each_alone then
      begin
        perform write_group_lock(p);
        for v_item in select value from jsonb_array_elements(p) loop
          v_out := v_out || jsonb_build_array(jsonb_build_object('ok', write_group_item(v_item)));
        end loop;
        return v_out;
      exception when plpgsql_error or integrity_constraint_violation or data_exception then
        -- An item was refused: everything above is undone, locks included. Run the group again
        -- with each item on its own.
        v_out := '[]'::jsonb;
      end;
    end if;

    perform write_group_lock(p);
    for v_item in select value from jsonb_array_elements(p) loop
      begin
        v_out := v_out || jsonb_build_array(jsonb_build_object('ok', write_group_item(v_item)));
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
