-- write_group_lock (0012) without planning its queries on every call.
--
-- A plpgsql statement is planned for its parameters' values ("custom" plans) until PostgreSQL judges
-- that one plan for all values ("generic") costs about the same. 0012's account query is one UNION
-- over every kind of item, so for any group most of its arrays are empty; a custom plan for an empty
-- array is estimated at nearly nothing, the generic plan (ten rows assumed) looks far dearer, and so
-- the statement was planned afresh at every call: half of the function's time, about a millisecond
-- per group of twelve claims. Now each kind of item has its own statement, run only when the group
-- holds such items, and the function's statements always use their generic plans (index scans on
-- the primary keys, whatever the arrays hold).
--
-- Lock order, what is locked and the argument are 0012's, unchanged.

create or replace function write_group_lock(p jsonb) returns void
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
