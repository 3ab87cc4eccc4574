-- Benefit packs, redemptions (claim, redeem, cancel, expire) and merchant settlements.
--
-- Points never move here: every movement is a ledger_apply transaction (reserve, settle, release,
-- payout) whose reference is the redemption or settlement id. These tables hold what the ledger
-- cannot: stock, limits, token lifetimes and who resolved a claim.

create table packs (
  id uuid primary key,
  merchant_id uuid not null references merchants (id),
  title text not null check (length(title) between 1 and 200),
  description text check (length(description) <= 2000),
  -- Capped so that a redemption token carrying the points still fits in 300 characters.
  points bigint not null check (points between 1 and 99999),
  -- Stock is optional: null means unlimited. Otherwise stock_initial never changes and the three
  -- counters below always add up to it (the check makes a lost or invented unit impossible).
  stock_initial integer check (stock_initial between 0 and 1000000),
  stock_left integer check (stock_left >= 0),
  -- Claims issued and not yet resolved; claims redeemed. Kept for every pack, stocked or not.
  issued integer not null default 0 check (issued >= 0),
  redeemed integer not null default 0 check (redeemed >= 0),
  per_volunteer_limit integer check (per_volunteer_limit between 1 and 1000),
  valid_from timestamptz,
  valid_until timestamptz,
  min_star_level smallint check (min_star_level between 0 and 5),
  status text not null default 'active' check (status in ('active', 'paused', 'retired')),
  created_by_role text not null,
  created_by_id text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint packs_stock_shape check ((stock_initial is null) = (stock_left is null)),
  constraint packs_stock_conserved check (stock_initial is null or stock_left + issued + redeemed = stock_initial),
  constraint packs_window check (valid_until is null or valid_from is null or valid_until > valid_from)
);
create index packs_merchant_idx on packs (merchant_id, id);
create index packs_active_idx on packs (id) where status = 'active';

-- A pack's identity and price never change once created (claims already issued carry its price).
create function packs_guard() returns trigger
  language plpgsql
  as $$
  begin
    if tg_op <> 'UPDATE' then
      raise exception 'packs are permanent (retire them instead): % refused', tg_op using errcode = 'P0001';
    end if;
    if new.id <> old.id or new.merchant_id <> old.merchant_id or new.points <> old.points
       or new.stock_initial is distinct from old.stock_initial or new.created_at <> old.created_at then
      raise exception 'a pack''s merchant, price and initial stock cannot change' using errcode = 'P0001';
    end if;
    if old.status = 'retired' and new.status <> 'retired' then
      raise exception 'a retired pack stays retired' using errcode = 'P0001';
    end if;
    return new;
  end
  $$;
-- Fires only for UPDATEs naming a column it guards (OF ...), so taking a unit of stock at every
-- claim does not pay for it.
create trigger packs_permanent before update of id, merchant_id, points, stock_initial, created_at, status or delete on packs
  for each row execute function packs_guard();

-- One row per claim. A redemption has exactly two events in its life: it is issued, and it is
-- resolved once (redeemed, cancelled or expired). The row records both, and the trigger below makes
-- each write-once: while issued, the only change allowed is to a resolved status together with who
-- resolved it, when, and the ledger transaction that did it; a resolved row never changes again and
-- no row is ever deleted. So the row is its own complete history, and "a redemption resolves at
-- most once" holds in the database whatever the code does. The ledger holds the same facts again
-- (reserve, then settle or release, referencing this id) under its hash chain.
create table redemptions (
  id uuid primary key,
  pack_id uuid not null references packs (id),
  merchant_id uuid not null references merchants (id),
  volunteer_id uuid not null references volunteers (id),
  points bigint not null check (points > 0),
  status text not null default 'issued' check (status in ('issued', 'redeemed', 'cancelled', 'expired')),
  issued_at timestamptz not null,
  expires_at timestamptz not null,
  -- The compact JWS handed to the volunteer, kept so the QR code can be shown again.
  token text not null check (length(token) <= 300),
  kid text not null,
  reserve_transaction_id uuid not null references ledger_transactions (id),
  resolved_at timestamptz,
  resolved_by_role text,
  resolved_by_id text,
  resolve_transaction_id uuid references ledger_transactions (id),
  check (expires_at > issued_at),
  check ((status = 'issued') = (resolved_at is null)),
  check ((status = 'issued') = (resolve_transaction_id is null)),
  check ((status = 'issued') = (resolved_by_role is null))
);
create index redemptions_volunteer_idx on redemptions (volunteer_id, id);
create index redemptions_pack_volunteer_idx on redemptions (pack_id, volunteer_id) where status in ('issued', 'redeemed');
create index redemptions_expiring_idx on redemptions (expires_at) where status = 'issued';
create index redemptions_merchant_redeemed_idx on redemptions (merchant_id, resolved_at, id) where status = 'redeemed';

create function redemptions_guard() returns trigger
  language plpgsql
  as $$
  begin
    if tg_op <> 'UPDATE' then
      raise exception 'redemptions are permanent: % refused', tg_op using errcode = 'P0001';
    end if;
    if old.status <> 'issued' then
      raise exception 'redemption % is already %; it resolves only once', old.id, old.status using errcode = 'P0001';
    end if;
    if new.status = 'issued' then
      raise exception 'an issued redemption may only change by being resolved' using errcode = 'P0001';
    end if;
    if new.id <> old.id or new.pack_id <> old.pack_id or new.merchant_id <> old.merchant_id or new.volunteer_id <> old.volunteer_id
       or new.points <> old.points or new.issued_at <> old.issued_at or new.expires_at <> old.expires_at
       or new.token <> old.token or new.kid <> old.kid or new.reserve_transaction_id <> old.reserve_transaction_id then
      raise exception 'a redemption''s claim cannot change' using errcode = 'P0001';
    end if;
    return new;
  end
  $$;
create trigger redemptions_write_once before update or delete on redemptions
  for each row execute function redemptions_guard();
create trigger redemptions_no_truncate before truncate on redemptions
  for each statement execute function redemptions_guard();
alter table redemptions enable always trigger redemptions_write_once;
alter table redemptions enable always trigger redemptions_no_truncate;

-- The ledger says the same thing independently: a redemption is reserved once and settled or
-- released at most once, whatever the tables above say.
create unique index ledger_transactions_reserve_once on ledger_transactions (reference) where kind = 'reserve';
create unique index ledger_transactions_resolve_once on ledger_transactions (reference) where kind in ('settle', 'release');

-- Settlements: the programme paid a merchant. Each one is a payout transaction moving points from
-- the merchant's account (owed) to its payout account (settled). Append-only, like the ledger.
create table settlements (
  id uuid primary key,
  merchant_id uuid not null references merchants (id),
  points bigint not null check (points > 0),
  reference text not null check (length(reference) between 1 and 200),
  transaction_id uuid not null unique references ledger_transactions (id),
  actor_role text not null,
  actor_id text not null,
  created_at timestamptz not null default now(),
  unique (merchant_id, reference)
);
create index settlements_merchant_created_idx on settlements (merchant_id, created_at, id);

create function settlements_refuse_change() returns trigger
  language plpgsql
  as $$
  begin
    raise exception 'settlements are append-only: % refused', tg_op using errcode = 'P0001';
  end
  $$;
create trigger settlements_append_only before update or delete on settlements
  for each row execute function settlements_refuse_change();
create trigger settlements_no_truncate before truncate on settlements
  for each statement execute function settlements_refuse_change();
alter table settlements enable always trigger settlements_append_only;
alter table settlements enable always trigger settlements_no_truncate;
