-- Plans that do not depend on statistics, redemption counters for /metrics, and certificates that
-- are issued again only when what they certify has changed.

---------------------------------------------------------------------------------------------------
-- Every hot statement keeps its key-lookup plan whatever the statistics say.
--
-- A new deployment's autovacuum analyzes the freshly migrated tables while they are empty. From
-- then on the planner believes them empty, a sequential scan of an empty table looks cheaper than
-- any index, and a connection that caches that plan (plpgsql keeps one per statement per session;
-- prepared statements keep a generic one) keeps reading the whole table for every award long after
-- it holds millions of rows. Every query in these functions is a lookup by key, so sequential
-- scans are never what they want: the setting holds while the function runs, and for everything it
-- calls and every trigger that fires meanwhile. ledger_check_balanced fires at commit, after
-- ledger_apply has returned, so it carries the setting itself; the others carry it too because
-- each is also called on its own.
alter function ledger_apply(jsonb) set enable_seqscan = off;
alter function ledger_apply_batch(jsonb) set enable_seqscan = off;
alter function ledger_guard(jsonb) set enable_seqscan = off;
alter function ledger_postings_stamp() set enable_seqscan = off;
alter function ledger_check_balanced() set enable_seqscan = off;
alter function idempotency_begin(text, text, text) set enable_seqscan = off;
alter function idempotency_finish(text, text, text, integer, jsonb) set enable_seqscan = off;
alter function redemption_claim(jsonb) set enable_seqscan = off;
alter function redemption_redeem(jsonb) set enable_seqscan = off;
alter function write_group(jsonb, boolean) set enable_seqscan = off;
alter function write_group_item(jsonb) set enable_seqscan = off;

-- The two lookups the service makes on almost every request, as functions for the same reason:
-- the principal named by a token, and volunteers' balances. Each takes a batch of ids as one uuid[]
-- argument, converted once per call; written inline as "id = any($1::text::uuid[])" the conversion
-- was evaluated again for every row a sequential scan read.

-- The active principals of one role among p_ids: organisers with their unit and its path,
-- volunteers with their unit, merchants alone.
create function active_principals(p_role text, p_ids uuid[]) returns table (id uuid, org_unit_id uuid, path text)
  language plpgsql stable
  set enable_seqscan = off
  as $$
  begin
    if p_role = 'organiser' then
      return query select o.id, o.org_unit_id, u.path from organisers o join org_units u on u.id = o.org_unit_id
                    where o.id = any(p_ids) and o.status = 'active';
    elsif p_role = 'volunteer' then
      return query select v.id, v.org_unit_id, null::text from volunteers v where v.id = any(p_ids) and v.status = 'active';
    elsif p_role = 'merchant' then
      return query select m.id, null::uuid, null::text from merchants m where m.id = any(p_ids) and m.status = 'active';
    end if;
  end
  $$;

-- Volunteers' ledger figures: balance, points ever earned, points held by open claims, approved
-- service minutes, and their unit's path (for scope checks).
create function volunteer_ledgers(p_ids uuid[])
  returns table (id uuid, path text, balance bigint, earned bigint, held bigint, service_minutes bigint)
  language plpgsql stable
  set enable_seqscan = off
  as $$
  begin
    return query
      select v.id, u.path, a.balance, a.earned, h.balance, v.service_minutes
        from volunteers v
        join org_units u on u.id = v.org_unit_id
        join accounts a on a.id = v.id
        join accounts h on h.id = ledger_account_id('held:' || v.id)
       where v.id = any(p_ids);
  end
  $$;

---------------------------------------------------------------------------------------------------
-- Redemptions by outcome, for /metrics, without counting the redemptions table at every scrape.
--
-- Counted as events: claims ever made, and claims resolved as redeemed, cancelled or expired; the
-- claims outstanding are the difference. Each write adds to one row only (a claim to 'claimed', a
-- redeem to 'redeemed', ...), so no transaction ever holds two counter rows it could take in
-- opposite orders. Each connection adds to the shard of its own backend, so concurrent writers
-- rarely share a row; a scrape sums 64 rows however many redemptions there are.

create table redemption_counts (
  event text not null check (event in ('claimed', 'redeemed', 'cancelled', 'expired')),
  shard smallint not null check (shard between 0 and 15),
  n bigint not null default 0,
  primary key (event, shard)
);
insert into redemption_counts (event, shard, n)
select e, g, case when g = 0 then (select count(*) from redemptions r where e = 'claimed' or r.status = e) else 0 end
  from unnest(array['claimed', 'redeemed', 'cancelled', 'expired']) e cross join generate_series(0, 15) g;

create function redemption_counts_written() returns trigger
  language plpgsql
  set enable_seqscan = off
  as $$
  begin
    update redemption_counts set n = n + 1
     where event = case when tg_op = 'INSERT' then 'claimed' else new.status end
       and shard = pg_backend_pid() & 15;
    return null;
  end
  $$;
create trigger redemption_counts_on_insert after insert on redemptions
  for each row execute function redemption_counts_written();
create trigger redemption_counts_on_resolve after update of status on redemptions
  for each row when (old.status is distinct from new.status) execute function redemption_counts_written();
alter table redemptions enable always trigger redemption_counts_on_insert;
alter table redemptions enable always trigger redemption_counts_on_resolve;

---------------------------------------------------------------------------------------------------
-- A certificate is issued again only when what it certifies has changed: each issue records a
-- digest of its content (name, programme, hours in total and by type, star level), and a request
-- whose content has the latest issue's digest gets that issue back, with its number. Rows issued
-- before this migration have none, so the next request issues afresh.
alter table certificates add column content_digest text check (length(content_digest) <= 100);
