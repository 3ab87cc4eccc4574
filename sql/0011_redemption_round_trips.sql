-- Redeeming a claim without touching its pack, in one round trip.
--
-- Every claim and every redeem of a pack used to update the pack row (stock left, claims issued,
-- claims redeemed), so redeems queued behind claims on that one row, each holding it through its
-- commit. A redeem does not change the stock, so the pack now keeps one counter, claimed (claims
-- issued or redeemed, i.e. not released), and the check becomes stock_left + claimed = stock_initial.
-- Claims issued and redeemed are counted from the redemption rows when read.

alter table packs add column claimed integer not null default 0 check (claimed >= 0);
update packs set claimed = issued + redeemed;
alter table packs drop constraint packs_stock_conserved;
alter table packs drop column issued, drop column redeemed;
alter table packs add constraint packs_stock_conserved check (stock_initial is null or stock_left + claimed = stock_initial);
create index redemptions_pack_status_idx on redemptions (pack_id, status);

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

-- Claiming a pack in one round trip, for the same reason: every claim of a pack takes that pack's
-- row, so the row must never be held while the service waits on the network. The service reads the
-- pack first (price and merchant never change), signs the token, and sends the finished claim here.
-- The rules are the ones documented on claimPack in src/redemptions/service.ts.
--
-- p: {idempotency: {caller, key, hash} | null, redemption: {id, packId, merchantId, volunteerId,
--     points, issuedAt, expiresAt, token, kid}, reserveTransactionId, actorRole, actorId, body}.
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
    v_count integer;
  begin
    if v_idem is not null and jsonb_typeof(v_idem) = 'object' then
      v_existing := idempotency_begin(v_idem->>'caller', v_idem->>'key', v_idem->>'hash');
      if v_existing is not null then
        return jsonb_build_object('replayed', true, 'body', v_existing->'body');
      end if;
    end if;
    -- Accounts first (ledger_apply locks them in id order), the pack row last.
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
      if not found then
        perform jifen_raise('not_found', jsonb_build_object('detail', 'pack not found'));
      elsif v_pack.status <> 'active' then
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
