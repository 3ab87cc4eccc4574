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
  -- Stock is optional: null means unlimited. Otherwise stock_initial never changes and
  -- stock_left + claimed always adds up to it (the check makes a lost or invented unit impossible).
  stock_initial integer check (stock_initial between 0 and 1000000),
  stock_left integer check (stock_left >= 0),
  per_volunteer_limit integer check (per_volunteer_limit between 1 and 1000),
  valid_from timestamptz,
  valid_until timestamptz,
  min_star_level smallint check (min_star_level between 0 and 5),
  status text not null default 'active' check (status in ('active', 'paused', 'retired')),
  created_by_role text not null,
  created_by_id text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Claims issued or redeemed (not released). Only a claim and a release change it, never a redeem,
  -- so redeems do not queue behind claims on this row. Claims issued and redeemed are counted from
  -- the redemption rows when read.
  claimed integer not null default 0 check (claimed >= 0),
  constraint packs_stock_shape check ((stock_initial is null) = (stock_left is null)),
  constraint packs_stock_conserved check (stock_initial is null or stock_left + claimed = stock_initial),
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
create index redemptions_pack_status_idx on redemptions (pack_id, status);

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

---------------------------------------------------------------------------------------------------
-- Redeeming a claim in one round trip. Every redeem of one shop's codes credits the same merchant
-- account, so that row's lock must be held for as short a time as possible: run as a single
-- statement, the lock is taken and released inside the database, with no network round trip
-- between taking it and committing. The rules are the ones documented on redeemToken in
-- src/redemptions/service.ts; points still move only through ledger_apply.
--
-- p: {id, merchantId, points, transactionId, actorRole, actorId}. Returns the redemption row as jsonb.

create function redemption_redeem(p jsonb) returns jsonb
  language plpgsql
  as $$
  declare
    r redemptions;
    v_settle jsonb;
  begin
    select * into r from redemptions where id = (p->>'id')::uuid for update;
    if not found or r.merchant_id <> (p->>'merchantId')::uuid or r.points <> (p->>'points')::bigint then
      perform jifen_raise('token_invalid', jsonb_build_object('detail', 'the redemption code does not match any claim'));
    end if;
    if r.status = 'redeemed' then
      -- The same shop submitting the same code again: the same answer, nothing written.
      return to_jsonb(r);
    end if;
    if r.status = 'cancelled' then
      perform jifen_raise('token_already_used', jsonb_build_object('detail', 'the volunteer cancelled this claim', 'status', r.status));
    end if;
    if r.status = 'expired' or r.expires_at <= now() then
      perform jifen_raise('token_expired', jsonb_build_object('detail', 'the redemption code has expired; the volunteer can claim again'));
    end if;
    v_settle := ledger_apply(jsonb_build_object(
      'transaction', jsonb_build_object(
        'id', p->>'transactionId', 'kind', 'settle', 'reference', r.id::text,
        'memo', 'redeemed at merchant ' || r.merchant_id, 'actorRole', p->>'actorRole', 'actorId', p->>'actorId'),
      'postings', jsonb_build_array(
        jsonb_build_object('account', ledger_account_id('held:' || r.volunteer_id), 'amount', -r.points),
        jsonb_build_object('account', r.merchant_id, 'amount', r.points))));
    update redemptions
       set status = 'redeemed', resolved_at = now(), resolved_by_role = p->>'actorRole', resolved_by_id = p->>'actorId',
           resolve_transaction_id = (v_settle->'result'->>'transactionId')::uuid
     where id = r.id
    returning * into r;
    return to_jsonb(r);
  end
  $$;

---------------------------------------------------------------------------------------------------
-- Claiming a pack in one round trip, for the same reason: every claim of a pack takes that pack's
-- row, so the row must never be held while the service waits on the network. A pack's price and
-- merchant never change, so the service keeps them in memory, signs the token, and sends the finished
-- claim here; everything else (merchant still active, star level reached, stock, validity window,
-- per-volunteer limit) is checked here, in the same statement. The rules are the ones documented on
-- claimPack in src/redemptions/service.ts.
--
-- p: {idempotency: {caller, key, hash} | null, redemption: {id, packId, merchantId, volunteerId,
--     points, issuedAt, expiresAt, token, kid}, starMinutes, reserveTransactionId, actorRole,
--     actorId, body}. starMinutes are the approved service minutes needed for one to five stars (the
--     service's configuration), so the database and the service compute star levels the same way.
-- Returns {replayed, body}: the stored body for a replayed Idempotency-Key, else p.body.

create function redemption_claim(p jsonb) returns jsonb
  language plpgsql
  as $$
  declare
    v_idem jsonb := p->'idempotency';
    v_claim jsonb := p->'redemption';
    v_pack_id uuid := (v_claim->>'packId')::uuid;
    v_volunteer uuid := (v_claim->>'volunteerId')::uuid;
    v_points bigint := (v_claim->>'points')::bigint;
    v_existing jsonb;
    v_pack packs;
    v_min_stars integer;
    v_merchant_status text;
    v_minutes bigint;
    v_level integer;
    v_count integer;
  begin
    if v_idem is not null and jsonb_typeof(v_idem) = 'object' then
      v_existing := idempotency_begin(v_idem->>'caller', v_idem->>'key', v_idem->>'hash');
      if v_existing is not null then
        return jsonb_build_object('replayed', true, 'body', v_existing->'body');
      end if;
    end if;
    -- Cheap refusals first, before anything is locked; the locked update re-checks what can change.
    select pk.min_star_level, m.status, v.service_minutes into v_min_stars, v_merchant_status, v_minutes
      from packs pk join merchants m on m.id = pk.merchant_id join volunteers v on v.id = v_volunteer
     where pk.id = v_pack_id;
    if not found then
      perform jifen_raise('not_found', jsonb_build_object('detail', 'pack not found'));
    end if;
    if v_merchant_status <> 'active' then
      perform jifen_raise('pack_unavailable', jsonb_build_object('detail', 'the merchant no longer takes redemptions'));
    end if;
    if coalesce(v_min_stars, 0) > 0 then
      select count(*) into v_level from jsonb_array_elements_text(p->'starMinutes') t where v_minutes >= t::bigint;
      if v_level < v_min_stars then
        perform jifen_raise('pack_unavailable', jsonb_build_object(
          'detail', format('this pack needs %s stars; you have %s', v_min_stars, v_level),
          'requiredStarLevel', v_min_stars, 'starLevel', v_level));
      end if;
    end if;
    -- Accounts next (ledger_apply locks them in id order), the pack row last.
    perform ledger_apply(jsonb_build_object(
      'transaction', jsonb_build_object(
        'id', p->>'reserveTransactionId', 'kind', 'reserve', 'reference', v_claim->>'id',
        'memo', 'claim of pack ' || v_pack_id, 'actorRole', p->>'actorRole', 'actorId', p->>'actorId'),
      'postings', jsonb_build_array(
        jsonb_build_object('account', v_volunteer, 'amount', -v_points),
        jsonb_build_object('account', ledger_account_id('held:' || v_volunteer), 'amount', v_points))));
    update packs set stock_left = stock_left - 1, claimed = claimed + 1
     where id = v_pack_id and status = 'active' and (stock_left is null or stock_left > 0)
       and (valid_from is null or valid_from <= now()) and (valid_until is null or valid_until > now())
    returning * into v_pack;
    if not found then
      select * into v_pack from packs where id = v_pack_id;
      if v_pack.status <> 'active' then
        perform jifen_raise('pack_unavailable', jsonb_build_object('detail', format('the pack is %s', v_pack.status)));
      elsif v_pack.stock_left is not null and v_pack.stock_left <= 0 then
        perform jifen_raise('out_of_stock', jsonb_build_object('detail', 'no units of this pack are left'));
      else
        perform jifen_raise('pack_unavailable', jsonb_build_object('detail', 'the pack is outside its validity window'));
      end if;
    end if;
    if v_pack.points <> v_points or v_pack.merchant_id <> (v_claim->>'merchantId')::uuid then
      perform jifen_raise('conflict', jsonb_build_object('detail', 'the pack changed while it was being claimed; claim again'));
    end if;
    insert into redemptions (id, pack_id, merchant_id, volunteer_id, points, issued_at, expires_at, token, kid, reserve_transaction_id)
    values ((v_claim->>'id')::uuid, v_pack_id, v_pack.merchant_id, v_volunteer, v_points, (v_claim->>'issuedAt')::timestamptz,
            (v_claim->>'expiresAt')::timestamptz, v_claim->>'token', v_claim->>'kid', (p->>'reserveTransactionId')::uuid);
    if v_pack.per_volunteer_limit is not null then
      -- A statement of its own after the pack's lock is held, so its snapshot includes every claim
      -- committed by the holders before us (and ours).
      select count(*) into v_count from redemptions
       where pack_id = v_pack_id and volunteer_id = v_volunteer
         and (status = 'redeemed' or (status = 'issued' and expires_at > now()));
      if v_count > v_pack.per_volunteer_limit then
        perform jifen_raise('limit_reached', jsonb_build_object(
          'detail', format('at most %s claims of this pack per volunteer', v_pack.per_volunteer_limit), 'limit', v_pack.per_volunteer_limit));
      end if;
    end if;
    if v_idem is not null and jsonb_typeof(v_idem) = 'object' then
      perform idempotency_finish(v_idem->>'caller', v_idem->>'key', v_idem->>'hash', 201, p->'body');
    end if;
    return jsonb_build_object('replayed', false, 'body', p->'body');
  end
  $$;
