-- The points ledger: accounts with cached balances, append-only transactions and postings, a
-- per-account hash chain, and idempotency records. Points are bigint everywhere.
--
-- Account ids are derived, never looked up: a volunteer's spendable account has the volunteer's
-- id, a merchant's has the merchant's id, and the others are md5-uuids of a tag (see
-- ledger_account_id). Programme issuance is split into 32 shards so that awards to different
-- volunteers never queue behind one shared row.

create function ledger_account_id(tag text) returns uuid
  language sql immutable strict parallel safe
  as $$ select md5(tag)::uuid $$;

create table accounts (
  id uuid primary key,
  kind text not null check (kind in ('issuance', 'volunteer', 'held', 'merchant', 'payout')),
  owner_id uuid,
  shard smallint not null default 0 check (shard between 0 and 31),
  balance bigint not null default 0,
  -- Points earned by awards and corrections, net of their reversals (volunteer accounts only).
  earned bigint not null default 0,
  entry_count bigint not null default 0,
  -- Hash of the newest posting; all-zero bytes before the first one.
  head_hash bytea not null default '\x0000000000000000000000000000000000000000000000000000000000000000',
  -- The head before the newest posting. ledger_apply advances the chain with one
  -- UPDATE ... RETURNING, which returns new values only; this carries the old head to the posting.
  prev_head_hash bytea not null default '\x0000000000000000000000000000000000000000000000000000000000000000',
  created_at timestamptz not null default now(),
  constraint accounts_owner_kind unique nulls not distinct (kind, owner_id, shard),
  -- Invariant 4: only the programme's issuance account may go below zero.
  constraint accounts_non_negative check (kind = 'issuance' or balance >= 0),
  constraint accounts_owner_present check ((kind = 'issuance') = (owner_id is null))
);

insert into accounts (id, kind, shard)
select ledger_account_id('issuance:' || s), 'issuance', s from generate_series(0, 31) s;

-- Accounts for people who existed before the ledger did.
insert into accounts (id, kind, owner_id) select id, 'volunteer', id from volunteers;
insert into accounts (id, kind, owner_id) select ledger_account_id('held:' || id), 'held', id from volunteers;
insert into accounts (id, kind, owner_id) select id, 'merchant', id from merchants;
insert into accounts (id, kind, owner_id) select ledger_account_id('payout:' || id), 'payout', id from merchants;

create table ledger_transactions (
  id uuid primary key,
  kind text not null check (kind in ('award', 'correction', 'adjustment', 'reversal', 'reserve', 'settle', 'release', 'payout')),
  -- Free text from staff (a reason). Opaque ids only: never a name or a phone number.
  memo text check (length(memo) <= 500),
  -- What the transaction is about: a service record, a redemption, a settlement reference.
  reference text check (length(reference) <= 200),
  actor_role text not null check (actor_role in ('admin', 'organiser', 'volunteer', 'merchant', 'system')),
  actor_id text not null check (length(actor_id) between 1 and 200),
  -- Unique: a transaction is reversed at most once, enforced by the index, under any concurrency.
  reverses_id uuid unique references ledger_transactions (id),
  created_at timestamptz not null default now(),
  check ((kind = 'reversal') = (reverses_id is not null))
);
create index ledger_transactions_created_idx on ledger_transactions (created_at, id);
create index ledger_transactions_reference_idx on ledger_transactions (reference) where reference is not null;

create table ledger_postings (
  id bigint generated always as identity primary key,
  -- No foreign key on transaction_id: ledger_postings_stamp (below) requires the transaction to
  -- exist and to have been created in the same database transaction, which is stronger, and
  -- transactions can never be deleted. (An FK would repeat that lookup for every posting.)
  transaction_id uuid not null,
  account_id uuid not null references accounts (id),
  -- Position in the account's own chain: 1, 2, 3, ... with no gaps.
  seq bigint not null check (seq >= 1),
  amount bigint not null check (amount <> 0),
  balance_after bigint not null,
  prev_hash bytea not null,
  hash bytea not null,
  created_at timestamptz not null default now(),
  -- Also the statement index: an account's page is a range scan whatever its length.
  unique (account_id, seq)
);
create index ledger_postings_transaction_idx on ledger_postings (transaction_id);

-- Idempotency records: the response of a completed request, keyed per caller, with a hash of the
-- request so that the same key with a different body is refused. Not ledger rows: old ones are purged.
create table idempotency_keys (
  caller text not null,
  key text not null check (length(key) between 1 and 200),
  request_hash text not null,
  response_status integer not null,
  response jsonb not null,
  created_at timestamptz not null default now(),
  primary key (caller, key)
);
create index idempotency_keys_created_idx on idempotency_keys (created_at);

---------------------------------------------------------------------------------------------------
-- Hashes. Canonical forms are jsonb arrays rendered as text, which PostgreSQL prints
-- deterministically; timestamps enter as integer microseconds since the epoch.
--
-- These are declared STABLE, as their bodies are (extract and jsonb_build_array are stable), so
-- the planner inlines them into the calling expression. Declared IMMUTABLE they would not be
-- inlined, and PostgreSQL would parse and plan each body afresh on every call from ledger_apply.

create function ledger_micros(t timestamptz) returns bigint
  language sql stable strict parallel safe
  as $$ select (extract(epoch from t) * 1000000)::bigint $$;

create function ledger_tx_digest(
  p_id uuid, p_kind text, p_memo text, p_reference text, p_actor_role text, p_actor_id text, p_reverses uuid, p_created timestamptz
) returns bytea
  language sql stable parallel safe
  as $$
    select sha256(convert_to(jsonb_build_array(p_id, p_kind, p_memo, p_reference, p_actor_role, p_actor_id, p_reverses, ledger_micros(p_created))::text, 'UTF8'))
  $$;

create function ledger_posting_hash(
  p_prev bytea, p_account uuid, p_seq bigint, p_transaction uuid, p_amount bigint, p_balance_after bigint, p_tx_digest bytea
) returns bytea
  language sql stable parallel safe
  as $$
    select sha256(p_prev || convert_to(jsonb_build_array(p_account, p_seq, p_transaction, p_amount, p_balance_after, encode(p_tx_digest, 'hex'))::text, 'UTF8'))
  $$;

---------------------------------------------------------------------------------------------------
-- Invariant 3: the ledger only grows. These triggers are ENABLE ALWAYS, so they fire even under
-- session_replication_role = replica.

create function ledger_refuse_change() returns trigger
  language plpgsql
  as $$
  begin
    raise exception 'ledger rows are append-only: % on % refused', tg_op, tg_table_name
      using errcode = 'P0001', hint = 'correct with a new reversing transaction';
  end
  $$;

create trigger ledger_transactions_append_only before update or delete on ledger_transactions
  for each row execute function ledger_refuse_change();
create trigger ledger_transactions_no_truncate before truncate on ledger_transactions
  for each statement execute function ledger_refuse_change();
create trigger ledger_postings_append_only before update or delete on ledger_postings
  for each row execute function ledger_refuse_change();
create trigger ledger_postings_no_truncate before truncate on ledger_postings
  for each statement execute function ledger_refuse_change();
alter table ledger_transactions enable always trigger ledger_transactions_append_only;
alter table ledger_transactions enable always trigger ledger_transactions_no_truncate;
alter table ledger_postings enable always trigger ledger_postings_append_only;
alter table ledger_postings enable always trigger ledger_postings_no_truncate;

-- Accounts carry caches that change with every posting, but an account never disappears and
-- never changes what it is.
create function accounts_guard() returns trigger
  language plpgsql
  as $$
  begin
    if tg_op <> 'UPDATE' then
      raise exception 'accounts are permanent: % refused', tg_op using errcode = 'P0001';
    end if;
    if new.id <> old.id or new.kind <> old.kind or new.owner_id is distinct from old.owner_id
       or new.shard <> old.shard or new.created_at <> old.created_at then
      raise exception 'an account''s identity cannot change' using errcode = 'P0001';
    end if;
    return new;
  end
  $$;
-- Only an UPDATE naming an identity column can change one, so the trigger fires only for those
-- (OF ...): the balance updates of every posting do not pay for it.
create trigger accounts_permanent before update of id, kind, owner_id, shard, created_at or delete on accounts
  for each row execute function accounts_guard();
create trigger accounts_no_truncate before truncate on accounts
  for each statement execute function accounts_guard();
alter table accounts enable always trigger accounts_permanent;
alter table accounts enable always trigger accounts_no_truncate;

-- A transaction's timestamp is the database's, never the caller's.
create function ledger_transactions_stamp() returns trigger
  language plpgsql
  as $$
  begin
    new.created_at := now();
    return new;
  end
  $$;
create trigger ledger_transactions_stamp before insert on ledger_transactions
  for each row execute function ledger_transactions_stamp();
alter table ledger_transactions enable always trigger ledger_transactions_stamp;

-- Postings may only be added to a transaction created in the same database transaction (now() is
-- fixed for a transaction's whole life), so a committed transaction can never gain postings.
create function ledger_postings_stamp() returns trigger
  language plpgsql
  as $$
  begin
    perform 1 from ledger_transactions where id = new.transaction_id and created_at = now();
    if not found then
      raise exception 'postings may only be added to a transaction created in the same database transaction'
        using errcode = 'P0001';
    end if;
    new.created_at := now();
    return new;
  end
  $$;
create trigger ledger_postings_stamp before insert on ledger_postings
  for each row execute function ledger_postings_stamp();
alter table ledger_postings enable always trigger ledger_postings_stamp;

-- Invariant 2: every transaction has at least two postings summing to zero, checked at commit.
create function ledger_check_balanced() returns trigger
  language plpgsql
  as $$
  declare
    v_sum bigint;
    v_count integer;
  begin
    select coalesce(sum(amount), 0), count(*) into v_sum, v_count from ledger_postings where transaction_id = new.id;
    if v_count < 2 or v_sum <> 0 then
      raise exception 'transaction % is unbalanced: % postings summing to %', new.id, v_count, v_sum using errcode = 'P0001';
    end if;
    return null;
  end
  $$;
create constraint trigger ledger_transactions_balanced after insert on ledger_transactions
  deferrable initially deferred for each row execute function ledger_check_balanced();
alter table ledger_transactions enable always trigger ledger_transactions_balanced;

---------------------------------------------------------------------------------------------------
-- Domain errors raised from SQL carry message 'jifen:<code>' and a JSON detail the service maps
-- to problem+json fields.

create function jifen_raise(p_code text, p_detail jsonb default '{}') returns void
  language plpgsql
  as $$
  begin
    raise exception 'jifen:%', p_code using errcode = 'P0001', detail = p_detail::text;
  end
  $$;

---------------------------------------------------------------------------------------------------
-- Idempotency (invariant 5). begin: refuse a duplicate in flight (409), a reused key with another
-- body (422), or return the stored response of a completed one. The advisory lock is held to the
-- end of the caller's transaction, and finish stores the response inside that same transaction.

create function idempotency_begin(p_caller text, p_key text, p_hash text) returns jsonb
  language plpgsql
  as $$
  declare
    v_row idempotency_keys;
  begin
    if not pg_try_advisory_xact_lock(hashtextextended(p_caller || chr(31) || p_key, 7106915311)) then
      perform jifen_raise('idempotency_in_progress');
    end if;
    select * into v_row from idempotency_keys where caller = p_caller and key = p_key;
    if not found then
      return null;
    end if;
    if v_row.request_hash <> p_hash then
      perform jifen_raise('idempotency_key_reused');
    end if;
    return jsonb_build_object('status', v_row.response_status, 'body', v_row.response);
  end
  $$;

-- plpgsql, not sql: a SQL-language function that cannot be inlined (an INSERT cannot) is parsed
-- and planned again on every call, while plpgsql keeps its plan for the session.
create function idempotency_finish(p_caller text, p_key text, p_hash text, p_status integer, p_response jsonb) returns void
  language plpgsql
  as $$
  begin
    insert into idempotency_keys (caller, key, request_hash, response_status, response)
    values (p_caller, p_key, p_hash, p_status, p_response);
  end
  $$;

---------------------------------------------------------------------------------------------------
-- The one write path of the ledger. A request is jsonb:
--   { "idempotency": {caller, key, hash} | null,
--     "guard": {volunteerId, scopePath, requireActive} | null,
--     "transaction": {id, kind, memo, reference, actorRole, actorId, reverses},
--     "postings": [{account, amount}, ...]          -- omitted for a reversal: derived from the original
--   }
-- It locks the touched accounts in id order (so concurrent writers never deadlock), checks that
-- no account other than issuance goes below zero, appends the transaction and its postings with
-- their chain hashes, and updates the cached balances, all in one round trip.

create function ledger_guard(p_guard jsonb) returns void
  language plpgsql
  as $$
  declare
    v_status text;
    v_path text;
  begin
    select v.status, u.path into v_status, v_path
      from volunteers v join org_units u on u.id = v.org_unit_id
     where v.id = (p_guard->>'volunteerId')::uuid;
    if not found or (p_guard->>'scopePath' is not null and not starts_with(v_path, p_guard->>'scopePath')) then
      perform jifen_raise('not_found', jsonb_build_object('detail', 'volunteer not found'));
    end if;
    if coalesce((p_guard->>'requireActive')::boolean, true) and v_status <> 'active' then
      perform jifen_raise('inactive', jsonb_build_object('detail', 'the volunteer is inactive'));
    end if;
  end
  $$;

create function ledger_apply(p jsonb) returns jsonb
  language plpgsql
  as $$
  declare
    v_idem jsonb := p->'idempotency';
    v_tx jsonb := p->'transaction';
    v_id uuid := (v_tx->>'id')::uuid;
    v_kind text := v_tx->>'kind';
    v_reverses uuid := (v_tx->>'reverses')::uuid;
    v_postings jsonb := coalesce(p->'postings', '[]'::jsonb);
    v_existing jsonb;
    v_original ledger_transactions;
    v_created timestamptz;
    v_digest bytea;
    v_earns boolean;
    v_account accounts;
    v_balance bigint;
    v_seq bigint;
    v_prev_hash bytea;
    v_hash bytea;
    v_out jsonb := '[]'::jsonb;
    v_result jsonb;
    r record;
  begin
    if v_idem is not null then
      v_existing := idempotency_begin(v_idem->>'caller', v_idem->>'key', v_idem->>'hash');
      if v_existing is not null then
        return jsonb_build_object('replayed', true, 'status', v_existing->'status', 'result', v_existing->'body');
      end if;
    end if;
    if p->'guard' is not null and jsonb_typeof(p->'guard') = 'object' then
      perform ledger_guard(p->'guard');
    end if;

    v_earns := v_kind in ('award', 'correction');
    if v_reverses is not null then
      select * into v_original from ledger_transactions where id = v_reverses;
      if not found then
        perform jifen_raise('not_found', jsonb_build_object('detail', 'transaction not found'));
      end if;
      if v_original.kind not in ('award', 'correction', 'adjustment') then
        perform jifen_raise('conflict', jsonb_build_object('detail', format('a %s transaction cannot be reversed', v_original.kind)));
      end if;
      if exists (select 1 from ledger_transactions where reverses_id = v_reverses) then
        perform jifen_raise('already_reversed', jsonb_build_object('reversedBy', (select id from ledger_transactions where reverses_id = v_reverses)));
      end if;
      v_earns := v_original.kind in ('award', 'correction');
      select jsonb_agg(jsonb_build_object('account', account_id, 'amount', -amount) order by id) into v_postings
        from ledger_postings where transaction_id = v_reverses;
    end if;

    if v_reverses is null then
      insert into ledger_transactions (id, kind, memo, reference, actor_role, actor_id)
      values (v_id, v_kind, v_tx->>'memo', v_tx->>'reference', v_tx->>'actorRole', v_tx->>'actorId')
      returning created_at into v_created;
    else
      -- Only reversals pay for a subtransaction: a concurrent reversal of the same transaction that
      -- committed first makes this insert wait on its index entry and then fail.
      begin
        insert into ledger_transactions (id, kind, memo, reference, actor_role, actor_id, reverses_id)
        values (v_id, v_kind, v_tx->>'memo', v_tx->>'reference', v_tx->>'actorRole', v_tx->>'actorId', v_reverses)
        returning created_at into v_created;
      exception when unique_violation then
        perform jifen_raise('already_reversed');
      end;
    end if;
    v_digest := ledger_tx_digest(v_id, v_kind, v_tx->>'memo', v_tx->>'reference', v_tx->>'actorRole', v_tx->>'actorId', v_reverses, v_created);

    for r in
      select (e->>'account')::uuid as account, sum((e->>'amount')::bigint)::bigint as amount
        from jsonb_array_elements(v_postings) e
       group by 1
       order by 1
    loop
      -- One statement locks the account, refuses to take it below zero (issuance excepted),
      -- updates the balance caches and advances its hash chain; SET expressions read the old row.
      update accounts
         set balance = balance + r.amount,
             entry_count = entry_count + 1,
             prev_head_hash = head_hash,
             head_hash = ledger_posting_hash(head_hash, id, entry_count + 1, v_id, r.amount, balance + r.amount, v_digest),
             earned = earned + case when v_earns and kind = 'volunteer' then r.amount else 0 end
       where id = r.account
         and (kind = 'issuance' or balance + r.amount >= 0)
      returning balance, entry_count, prev_head_hash, head_hash
           into v_balance, v_seq, v_prev_hash, v_hash;
      if not found then
        select * into v_account from accounts where id = r.account;
        if not found then
          perform jifen_raise('not_found', jsonb_build_object('detail', 'account not found', 'accountId', r.account));
        end if;
        perform jifen_raise('insufficient_points', jsonb_build_object(
          'accountId', r.account, 'balance', v_account.balance, 'required', -r.amount,
          'detail', format('the balance is %s points; %s are required', v_account.balance, -r.amount)));
      end if;
      insert into ledger_postings (transaction_id, account_id, seq, amount, balance_after, prev_hash, hash)
      values (v_id, r.account, v_seq, r.amount, v_balance, v_prev_hash, v_hash);
      v_out := v_out || jsonb_build_object('accountId', r.account, 'amount', r.amount, 'balanceAfter', v_balance);
    end loop;

    v_result := jsonb_build_object(
      'transactionId', v_id, 'kind', v_kind, 'createdAt', v_created,
      'reversesTransactionId', v_reverses, 'postings', v_out);
    if v_idem is not null then
      perform idempotency_finish(v_idem->>'caller', v_idem->>'key', v_idem->>'hash', 201, v_result);
    end if;
    return jsonb_build_object('replayed', false, 'status', 201, 'result', v_result);
  end
  $$;
