-- Sign-in for people: one-time sign-in codes an organiser hands over, browser sessions they open,
-- and links from an OpenID Connect provider's identities to jifen principals.
--
-- A principal is named by (role, principal_id): a volunteer, organiser or merchant by its uuid, an
-- admin by the operator's name (admins live outside the people tables). Neither codes nor session
-- secrets are stored: only their SHA-256, in hex, so a copy of the database signs nobody in.

create table sign_in_codes (
  code_hash text primary key check (code_hash ~ '^[0-9a-f]{64}$'),
  role text not null check (role in ('volunteer', 'organiser', 'merchant', 'admin')),
  principal_id text not null check (
    length(principal_id) between 1 and 200
    and (role = 'admin' or principal_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
  ),
  -- Who handed it over ('admin:office', 'organiser:<id>', 'script').
  issued_by text not null check (length(issued_by) between 1 and 220),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  check (expires_at > created_at),
  check (used_at is null or used_at >= created_at)
);
-- One live (unused) code per principal: issuing a new one replaces the earlier, so a reprinted card
-- voids the lost one. Used codes stay until the maintenance purge, as a record of the sign-in.
create unique index sign_in_codes_one_live_idx on sign_in_codes (role, principal_id) where used_at is null;
create index sign_in_codes_expiry_idx on sign_in_codes (expires_at);

create table sessions (
  id uuid primary key,
  secret_hash text not null unique check (secret_hash ~ '^[0-9a-f]{64}$'),
  role text not null check (role in ('volunteer', 'organiser', 'merchant', 'admin')),
  principal_id text not null check (
    length(principal_id) between 1 and 200
    and (role = 'admin' or principal_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
  ),
  -- What the person's device called itself (from its User-Agent, shortened), to tell sessions apart.
  device_label text not null check (length(device_label) between 1 and 200),
  -- How the session began: a sign-in code or the OpenID provider.
  method text not null check (method in ('code', 'oidc')),
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  -- Slides forward with use, by the role's idle lifetime.
  expires_at timestamptz not null,
  check (expires_at > created_at),
  check (last_seen_at >= created_at)
);
create index sessions_principal_idx on sessions (principal_id, role, created_at);
create index sessions_expiry_idx on sessions (expires_at);

-- A provider identity (issuer + subject) names exactly one principal, and a principal has at most
-- one identity per provider. Recorded at registration or linked once by signing in with a code.
create table identity_links (
  issuer text not null check (length(issuer) between 1 and 500),
  subject text not null check (length(subject) between 1 and 255),
  role text not null check (role in ('volunteer', 'organiser', 'merchant', 'admin')),
  principal_id text not null check (
    length(principal_id) between 1 and 200
    and (role = 'admin' or principal_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
  ),
  -- 'registration' or 'sign_in_code'.
  linked_by text not null check (linked_by in ('registration', 'sign_in_code')),
  created_at timestamptz not null default now(),
  primary key (issuer, subject),
  unique (role, principal_id, issuer)
);

-- Deactivating a person ends its sessions and voids its unused codes in the same statement, so no
-- path that deactivates (a route, a script, an operator's SQL) can leave a session alive.
create function sign_in_end_for_inactive() returns trigger
  language plpgsql
  as $$
  begin
    delete from sessions where role = tg_argv[0] and principal_id = new.id::text;
    delete from sign_in_codes where role = tg_argv[0] and principal_id = new.id::text and used_at is null;
    return null;
  end
  $$;

create trigger volunteers_end_sign_in after update of status on volunteers
  for each row when (new.status = 'inactive' and old.status <> 'inactive')
  execute function sign_in_end_for_inactive('volunteer');
create trigger organisers_end_sign_in after update of status on organisers
  for each row when (new.status = 'inactive' and old.status <> 'inactive')
  execute function sign_in_end_for_inactive('organiser');
create trigger merchants_end_sign_in after update of status on merchants
  for each row when (new.status = 'inactive' and old.status <> 'inactive')
  execute function sign_in_end_for_inactive('merchant');
