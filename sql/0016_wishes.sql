-- Wishes (微心愿 · 点单/接单): residents post small needs, volunteers take them, the poster or an
-- organiser confirms, and the taker earns the wish category's points through ledger_apply, once.
-- Also the volunteer posts (楼栋长, 单元长, 片长, 网格员) whose holders are offered a new wish in their
-- unit first, and per-state counters that /metrics reads in constant time.
--
-- Points never move here: the award is an ordinary ledger_apply transaction (kind 'award') whose
-- reference is the wish id, written in the same database transaction as the confirmation. These
-- tables hold what the ledger cannot: the request, who took it, and its history.

create table wish_categories (
  id uuid primary key,
  code text not null unique check (code ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  -- Plain category words (上门维修, 法律咨询): the one text about a wish that may reach a ledger memo.
  name text not null check (length(name) between 1 and 200),
  -- What confirming a wish of this category earns now. A change applies to wishes confirmed
  -- afterwards; past awards keep what they were (wishes.points_awarded and the ledger say so).
  points bigint not null check (points between 1 and 1000),
  status text not null default 'active' check (status in ('active', 'retired')),
  created_by text not null check (length(created_by) between 1 and 200),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create function wish_categories_guard() returns trigger
  language plpgsql
  as $$
  begin
    if tg_op <> 'UPDATE' then
      raise exception 'wish categories are permanent (retire them instead): % refused', tg_op using errcode = 'P0001';
    end if;
    if new.id <> old.id or new.code <> old.code or new.created_at <> old.created_at or new.created_by <> old.created_by then
      raise exception 'a wish category''s identity cannot change' using errcode = 'P0001';
    end if;
    return new;
  end
  $$;
create trigger wish_categories_permanent before update or delete on wish_categories
  for each row execute function wish_categories_guard();
create trigger wish_categories_no_truncate before truncate on wish_categories
  for each statement execute function wish_categories_guard();
alter table wish_categories enable always trigger wish_categories_permanent;
alter table wish_categories enable always trigger wish_categories_no_truncate;

---------------------------------------------------------------------------------------------------
-- Volunteer posts. A post is held from assigned_at until it is ended, once; a row is never deleted
-- or otherwise changed, so who held which post when stays on record.

create table volunteer_posts (
  id uuid primary key,
  volunteer_id uuid not null references volunteers (id),
  org_unit_id uuid not null references org_units (id),
  kind text not null check (kind in ('building_chief', 'unit_chief', 'block_chief', 'grid_worker')),
  assigned_by_role text not null check (assigned_by_role in ('admin', 'organiser')),
  assigned_by_id text not null check (length(assigned_by_id) between 1 and 200),
  assigned_at timestamptz not null default now(),
  ended_at timestamptz,
  ended_by_role text check (ended_by_role in ('admin', 'organiser')),
  ended_by_id text check (length(ended_by_id) between 1 and 200),
  check ((ended_at is null) = (ended_by_role is null)),
  check ((ended_at is null) = (ended_by_id is null)),
  check (ended_at is null or ended_at >= assigned_at)
);
-- A volunteer holds a given post in a given unit at most once at a time.
create unique index volunteer_posts_held_once on volunteer_posts (volunteer_id, org_unit_id, kind) where ended_at is null;
-- "Who holds a post in this unit now": the question every new wish and every take asks.
create index volunteer_posts_unit_idx on volunteer_posts (org_unit_id, volunteer_id) where ended_at is null;
create index volunteer_posts_volunteer_idx on volunteer_posts (volunteer_id, id);

create function volunteer_posts_guard() returns trigger
  language plpgsql
  as $$
  begin
    if tg_op <> 'UPDATE' then
      raise exception 'volunteer posts are permanent (end them instead): % refused', tg_op using errcode = 'P0001';
    end if;
    if old.ended_at is not null then
      raise exception 'volunteer post % has already ended', old.id using errcode = 'P0001';
    end if;
    if new.id <> old.id or new.volunteer_id <> old.volunteer_id or new.org_unit_id <> old.org_unit_id or new.kind <> old.kind
       or new.assigned_by_role <> old.assigned_by_role or new.assigned_by_id <> old.assigned_by_id or new.assigned_at <> old.assigned_at then
      raise exception 'a volunteer post can only be ended' using errcode = 'P0001';
    end if;
    return new;
  end
  $$;
create trigger volunteer_posts_end_once before update or delete on volunteer_posts
  for each row execute function volunteer_posts_guard();
create trigger volunteer_posts_no_truncate before truncate on volunteer_posts
  for each statement execute function volunteer_posts_guard();
alter table volunteer_posts enable always trigger volunteer_posts_end_once;
alter table volunteer_posts enable always trigger volunteer_posts_no_truncate;

---------------------------------------------------------------------------------------------------
-- Wishes. The row is the wish's current state; wish_events is its append-only history, one row per
-- version. States: open -> taken -> done -> confirmed, taken -> open (released), open or taken ->
-- cancelled, open -> expired (still open after needed_by). confirmed, cancelled and expired are final.

create table wishes (
  id uuid primary key,
  org_unit_id uuid not null references org_units (id),
  category_id uuid not null references wish_categories (id),
  title text not null check (length(title) between 1 and 200),
  details text check (length(details) between 1 and 2000),
  needed_by timestamptz,
  status text not null default 'open' check (status in ('open', 'taken', 'done', 'confirmed', 'cancelled', 'expired')),
  -- The number of the newest history row (wish_events.version).
  version integer not null default 1 check (version >= 1),
  posted_by_role text not null check (posted_by_role in ('admin', 'organiser', 'volunteer')),
  posted_by_id text not null check (length(posted_by_id) between 1 and 200),
  -- The volunteer who posted the wish for itself (the resident it is for); null when staff posted it.
  poster_volunteer_id uuid references volunteers (id),
  -- The resident an organiser posted for (someone without a phone). Personal data: it lives here
  -- and nowhere else (never in a ledger row, a history row or a log line), is shown only to the
  -- taker and to organisers in scope, and may be erased (set to null) but never rewritten.
  on_behalf_name text check (length(on_behalf_name) between 1 and 100),
  on_behalf_contact text check (length(on_behalf_contact) between 1 and 200),
  -- Until then only volunteers holding a post in org_unit_id may take the wish (null: no window).
  priority_until timestamptz,
  -- The volunteer who has the wish: set by taking (or an organiser's assignment), cleared by a
  -- release, kept through done, confirmed and a cancellation of a taken wish.
  taker_id uuid references volunteers (id),
  taken_at timestamptz,
  -- When the wish was first answered (taken), whatever releases followed: the reports' answer time.
  first_taken_at timestamptz,
  done_at timestamptz,
  -- When it reached its final state (confirmed, cancelled or expired).
  closed_at timestamptz,
  points_awarded bigint check (points_awarded between 1 and 1000),
  -- One award per wish: set by the confirmation (which is final), unique across wishes.
  award_transaction_id uuid unique references ledger_transactions (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((posted_by_role = 'volunteer') = (poster_volunteer_id is not null)),
  check (poster_volunteer_id is null or poster_volunteer_id::text = posted_by_id),
  check ((on_behalf_name is null) or posted_by_role <> 'volunteer'),
  constraint wishes_needed_after_posting check (needed_by is null or needed_by > created_at),
  check (priority_until is null or priority_until > created_at),
  check ((status = 'confirmed') = (award_transaction_id is not null)),
  check ((status = 'confirmed') = (points_awarded is not null)),
  check (status not in ('taken', 'done', 'confirmed') or (taker_id is not null and taken_at is not null)),
  check (status <> 'open' or (taker_id is null and taken_at is null)),
  check ((taker_id is null) = (taken_at is null)),
  check (taker_id is null or first_taken_at is not null),
  check (status not in ('done', 'confirmed') or done_at is not null),
  check ((status in ('confirmed', 'cancelled', 'expired')) = (closed_at is not null))
);
create index wishes_org_unit_idx on wishes (org_unit_id, id);
create index wishes_status_idx on wishes (status, id);
create index wishes_taker_idx on wishes (taker_id, id) where taker_id is not null;
create index wishes_poster_idx on wishes (posted_by_id, id);
create index wishes_poster_volunteer_idx on wishes (poster_volunteer_id, id) where poster_volunteer_id is not null;
create index wishes_category_idx on wishes (category_id, id);
-- The reports take the wishes posted in a period.
create index wishes_created_idx on wishes (created_at, id);
-- The sweeper's question: open wishes past their date, oldest first.
create index wishes_expiring_idx on wishes (needed_by) where status = 'open' and needed_by is not null;

create table wish_events (
  wish_id uuid not null references wishes (id),
  version integer not null check (version >= 1),
  from_status text check (from_status in ('open', 'taken', 'done', 'confirmed', 'cancelled', 'expired')),
  to_status text not null check (to_status in ('open', 'taken', 'done', 'confirmed', 'cancelled', 'expired')),
  -- The volunteer who took the wish (taken), or who let it go (released to open).
  taker_id uuid references volunteers (id),
  -- What the person said: the taker's note when done, a reason for a release or cancellation.
  note text check (length(note) between 1 and 500),
  -- The award, on the confirmation.
  transaction_id uuid references ledger_transactions (id),
  actor_role text not null check (actor_role in ('admin', 'organiser', 'volunteer', 'system')),
  actor_id text not null check (length(actor_id) between 1 and 200),
  created_at timestamptz not null default now(),
  primary key (wish_id, version),
  check ((version = 1) = (from_status is null)),
  check (from_status is null or from_status <> to_status),
  check ((to_status = 'confirmed') = (transaction_id is not null))
);
-- One award per wish, said again by the history: one confirmation per wish, one wish per award.
create unique index wish_events_confirmed_once on wish_events (wish_id) where to_status = 'confirmed';
create unique index wish_events_award_once on wish_events (transaction_id) where transaction_id is not null;
create index wish_events_taker_idx on wish_events (taker_id) where taker_id is not null;

-- History is append-only (the ledger's own refusal, enabled ALWAYS).
create trigger wish_events_append_only before update or delete on wish_events
  for each row execute function ledger_refuse_change();
create trigger wish_events_no_truncate before truncate on wish_events
  for each statement execute function ledger_refuse_change();
alter table wish_events enable always trigger wish_events_append_only;
alter table wish_events enable always trigger wish_events_no_truncate;

-- Each history row continues the one before it: version 1 opens the wish, and every later row
-- starts from the state the previous one ended in.
create function wish_events_chain() returns trigger
  language plpgsql
  as $$
  declare
    v_previous text;
  begin
    if new.version = 1 then
      if new.to_status <> 'open' then
        raise exception 'a wish''s history begins with open' using errcode = 'P0001';
      end if;
      return new;
    end if;
    select to_status into v_previous from wish_events where wish_id = new.wish_id and version = new.version - 1;
    if not found or v_previous <> new.from_status then
      raise exception 'wish % history row % does not continue row %', new.wish_id, new.version, new.version - 1 using errcode = 'P0001';
    end if;
    return new;
  end
  $$;
create trigger wish_events_chain before insert on wish_events
  for each row execute function wish_events_chain();
alter table wish_events enable always trigger wish_events_chain;

-- A wish's request never changes, its state moves only along the allowed transitions, one
-- version at a time, and it is confirmed only together with its award: an 'award' ledger
-- transaction created in the same database transaction, referencing the wish, crediting the taker
-- with exactly the points recorded, which are the category's points at that moment.
create function wishes_guard() returns trigger
  language plpgsql
  as $$
  begin
    if tg_op <> 'UPDATE' then
      raise exception 'wishes are permanent: % refused', tg_op using errcode = 'P0001';
    end if;
    if new.id <> old.id or new.org_unit_id <> old.org_unit_id or new.category_id <> old.category_id or new.title <> old.title
       or new.details is distinct from old.details or new.needed_by is distinct from old.needed_by
       or new.posted_by_role <> old.posted_by_role or new.posted_by_id <> old.posted_by_id
       or new.poster_volunteer_id is distinct from old.poster_volunteer_id or new.priority_until is distinct from old.priority_until or new.created_at <> old.created_at then
      raise exception 'a wish''s request cannot change' using errcode = 'P0001';
    end if;
    if (new.on_behalf_name is distinct from old.on_behalf_name and new.on_behalf_name is not null)
       or (new.on_behalf_contact is distinct from old.on_behalf_contact and new.on_behalf_contact is not null) then
      raise exception 'personal data on a wish may be erased, never rewritten' using errcode = 'P0001';
    end if;
    if new.status = old.status then
      if new.version <> old.version or new.taker_id is distinct from old.taker_id or new.taken_at is distinct from old.taken_at
         or new.first_taken_at is distinct from old.first_taken_at or new.done_at is distinct from old.done_at
         or new.closed_at is distinct from old.closed_at or new.points_awarded is distinct from old.points_awarded
         or new.award_transaction_id is distinct from old.award_transaction_id then
        raise exception 'a wish changes only by moving to another state' using errcode = 'P0001';
      end if;
      return new;
    end if;
    if new.version <> old.version + 1 then
      raise exception 'a wish moves one version at a time' using errcode = 'P0001';
    end if;
    if not ((old.status = 'open' and new.status in ('taken', 'cancelled', 'expired'))
         or (old.status = 'taken' and new.status in ('open', 'done', 'cancelled'))
         or (old.status = 'done' and new.status = 'confirmed')) then
      raise exception 'a wish cannot go from % to %', old.status, new.status using errcode = 'P0001';
    end if;
    if old.first_taken_at is not null and new.first_taken_at is distinct from old.first_taken_at then
      raise exception 'a wish''s first answer is recorded once' using errcode = 'P0001';
    end if;
    if old.status <> 'open' and new.status <> 'open' and (new.taker_id is distinct from old.taker_id or new.taken_at is distinct from old.taken_at) then
      raise exception 'only taking or releasing a wish changes its taker' using errcode = 'P0001';
    end if;
    if old.done_at is not null and new.done_at is distinct from old.done_at then
      raise exception 'a wish is done once' using errcode = 'P0001';
    end if;
    if new.status = 'confirmed' then
      perform 1 from wish_categories c where c.id = new.category_id and c.points = new.points_awarded;
      if not found then
        raise exception 'wish % is confirmed for other points than its category''s', new.id using errcode = 'P0001';
      end if;
      perform 1
         from ledger_transactions t
         join ledger_postings p on p.transaction_id = t.id and p.account_id = new.taker_id and p.amount = new.points_awarded
        where t.id = new.award_transaction_id and t.kind = 'award' and t.reference = new.id::text and t.created_at = now();
      if not found then
        raise exception 'wish % is confirmed only together with its award to the taker, in the same transaction', new.id using errcode = 'P0001';
      end if;
    end if;
    return new;
  end
  $$;
create trigger wishes_guard before update or delete on wishes
  for each row execute function wishes_guard();
create trigger wishes_no_truncate before truncate on wishes
  for each statement execute function ledger_refuse_change();
alter table wishes enable always trigger wishes_guard;
alter table wishes enable always trigger wishes_no_truncate;

-- Every state a wish has been in is in its history: at commit, the wish's current version has
-- its history row, ending in the wish's current state.
create function wishes_history_written() returns trigger
  language plpgsql
  as $$
  begin
    perform 1 from wish_events where wish_id = new.id and version = new.version and to_status = new.status;
    if not found then
      raise exception 'wish % reached version % (%) without a history row', new.id, new.version, new.status using errcode = 'P0001';
    end if;
    return null;
  end
  $$;
create constraint trigger wishes_history_written after insert or update on wishes
  deferrable initially deferred for each row execute function wishes_history_written();
alter table wishes enable always trigger wishes_history_written;

-- Every query in the guards is a lookup by key, into tables (the ledger's above all) that grow to
-- millions of rows: a plan made while they were nearly empty must never scan them whole.
alter function wishes_guard() set enable_seqscan = off;
alter function wish_events_chain() set enable_seqscan = off;
alter function wishes_history_written() set enable_seqscan = off;

---------------------------------------------------------------------------------------------------
-- Wishes by state, for /metrics: 16 counter rows per state, a wish always counted in the same
-- shard (from its id), so a scrape reads 96 rows however many wishes there are, and concurrent
-- changes to different wishes rarely touch the same row. Kept by statement triggers that apply
-- each statement's changes in (status, shard) order, so two transactions never lock counter rows
-- in opposite orders.

create table wish_counts (
  status text not null check (status in ('open', 'taken', 'done', 'confirmed', 'cancelled', 'expired')),
  shard smallint not null check (shard between 0 and 15),
  n bigint not null default 0 check (n >= 0),
  primary key (status, shard)
);
insert into wish_counts (status, shard)
select s, g from unnest(array['open', 'taken', 'done', 'confirmed', 'cancelled', 'expired']) s cross join generate_series(0, 15) g;

create function wish_shard(p_id uuid) returns smallint
  language sql immutable strict parallel safe
  as $$ select (hashtext(p_id::text) & 15)::smallint $$;

create function wish_counts_apply(p_deltas jsonb) returns void
  language plpgsql
  as $$
  declare
    r record;
  begin
    for r in
      select e->>'status' as status, (e->>'shard')::smallint as shard, sum((e->>'delta')::bigint)::bigint as delta
        from jsonb_array_elements(p_deltas) e
       group by 1, 2
      having sum((e->>'delta')::bigint) <> 0
       order by 1, 2
    loop
      update wish_counts set n = n + r.delta where status = r.status and shard = r.shard;
    end loop;
  end
  $$;

create function wish_counts_inserted() returns trigger
  language plpgsql
  as $$
  begin
    perform wish_counts_apply((select coalesce(jsonb_agg(jsonb_build_object('status', status, 'shard', wish_shard(id), 'delta', 1)), '[]') from new_rows));
    return null;
  end
  $$;

create function wish_counts_updated() returns trigger
  language plpgsql
  as $$
  begin
    perform wish_counts_apply((
      select coalesce(jsonb_agg(d), '[]') from (
        select jsonb_build_object('status', status, 'shard', wish_shard(id), 'delta', 1) as d from new_rows
        union all
        select jsonb_build_object('status', status, 'shard', wish_shard(id), 'delta', -1) from old_rows
      ) x));
    return null;
  end
  $$;

create trigger wish_counts_on_insert after insert on wishes
  referencing new table as new_rows
  for each statement execute function wish_counts_inserted();
create trigger wish_counts_on_update after update on wishes
  referencing old table as old_rows new table as new_rows
  for each statement execute function wish_counts_updated();
alter table wishes enable always trigger wish_counts_on_insert;
alter table wishes enable always trigger wish_counts_on_update;
