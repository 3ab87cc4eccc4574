-- The organiser's desk: a check-in code that rotates, and finding volunteers by phone and name.
--
-- The check-in code rotates. Each activity keeps a random secret, and the six digits shown at any
-- moment are derived from it and the current 30-second period, the way an authenticator app derives
-- its codes; the service accepts the codes of the last few periods so a slow phone still checks in.
-- A photo of the code passed around stops working within minutes, which the fixed code of 0004
-- never did, so that code goes.
alter table activities add column check_in_secret bytea;
-- gen_random_uuid draws from the server's strong random source; two of them give 244 random bits.
update activities set check_in_secret = uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid());
alter table activities alter column check_in_secret set not null;
alter table activities add constraint activities_check_in_secret_length check (length(check_in_secret) between 16 and 64);
alter table activities drop column check_in_code;

-- A phone number as digits only, whatever way it was written (spaces, dashes, brackets), and a
-- Chinese mobile number without its +86 country code: what a pasted sheet's phone column is
-- matched on. Immutable, so volunteers can be found by it through an index.
create function phone_key(phone text) returns text
  language sql
  immutable
  parallel safe
  as $$
    select nullif(regexp_replace(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g'), '^86(1[0-9]{10})$', '\1'), '')
  $$;
create index volunteers_phone_key_idx on volunteers (phone_key(phone)) where phone is not null;
-- A sheet of names is matched on the exact name.
create index volunteers_name_idx on volunteers (name, id);
