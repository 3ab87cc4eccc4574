-- Claim eligibility inside the claim's one statement. The service used to read the pack, its
-- merchant and the volunteer's service time in a round trip of its own before claiming; a pack's
-- price and merchant never change, so the service now keeps those in memory and the remaining checks
-- (merchant still active, star level reached) run here, in the same statement as the claim.
--
-- p gains starMinutes: the approved service minutes needed for one to five stars (the service's
-- configuration), so the database and the service compute star levels the same way.

create or replace function redemption_claim(p jsonb) returns jsonb
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
