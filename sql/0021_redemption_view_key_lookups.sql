-- A redemption with its pack's title, its shop's name and its volunteer's name, by key, whatever the
-- table statistics say.
--
-- Every redeem now answers with the pack's title and the volunteer's masked name, so this four-table
-- lookup runs on the redemption hot path. Written as a plain statement, a database analyzed while
-- empty caches a plan that scans packs, merchants, volunteers and redemptions whole, and keeps it as
-- they grow (see 0014). Like the other hot lookups it runs with sequential scans off and one generic
-- plan per connection.
create function redemption_view(p_id uuid)
  returns table (r redemptions, pack_title text, merchant_name text, volunteer_name text)
  language plpgsql stable
  set enable_seqscan = off
  set plan_cache_mode = force_generic_plan
  as $$
  begin
    return query
      select x, p.title, m.name, v.name
        from redemptions x
        join packs p on p.id = x.pack_id
        join merchants m on m.id = x.merchant_id
        join volunteers v on v.id = x.volunteer_id
       where x.id = p_id;
  end
  $$;
