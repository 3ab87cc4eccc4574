-- Short redemption codes a shop can type.
--
-- A redemption token (a signed JWS of up to 300 characters) is read from its QR code; when the
-- camera or the scanner fails, the shop types the short code printed under the QR: 8 characters
-- from an alphabet without look-alikes (no 0/O, 1/I/L), derived from the token itself, so a claim
-- needs no second secret and the claim statement (redemption_claim) is unchanged. The code is as
-- secret as the token it comes from; it only names a claim, whose token is then verified as usual,
-- and a redeem answers only to the shop the claim is for. Failed attempts count towards the shop's
-- redeem throttle like any bad code.
--
-- redemption_short_code(token): bytes 0..7 of sha256(token), each taken modulo 31 into the alphabet
-- (the service computes the same in src/redemptions/token.ts; a test compares the two).

create function redemption_short_code(token text) returns text
  language sql
  immutable
  parallel safe
  as $$
    select string_agg(substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', get_byte(d, i) % 31 + 1, 1), '' order by i)
      from (select sha256(textsend(token)) as d) digest, generate_series(0, 7) as i
  $$;

alter table redemptions add column short_code text generated always as (redemption_short_code(token)) stored;

-- Not unique: two live claims may (rarely) share a code. A lookup takes the shop's own claim first,
-- and a shop's codes colliding is as unlikely as guessing one.
create index redemptions_short_code_idx on redemptions (short_code);
