-- The database schema as the migrations in sql/ leave it, in one file: tables, columns, constraints,
-- indexes, sequences, functions and triggers. Generated from the catalogue of a freshly migrated
-- database by `npm run schema:snapshot`; do not edit it by hand. `npm test` fails when it no longer
-- matches what the migrations produce. Read sql/ for why each piece exists; read this for what is there.

-- Migrations applied:
--   0001_people.sql
--   0002_ledger.sql
--   0003_volunteer_service_minutes.sql
--   0004_activities_and_hours.sql
--   0010_packs_and_redemptions.sql
--   0011_write_groups.sql
--   0012_write_group_one_subtransaction.sql
--   0013_write_group_lock_index_scans.sql
--   0014_plans_and_counts.sql
--   0015_sign_in.sql
--   0016_wishes.sql
--   0017_redemption_short_codes.sql
--   0018_desk.sql
--   0019_ledger_digests.sql
--   0020_lookups_keep_generic_plans.sql
--   0021_redemption_view_key_lookups.sql

-- Sequences
create sequence certificate_number_seq as bigint increment by 1 minvalue 1 maxvalue 9223372036854775807 start with 1;

-- Tables
create table accounts (
  id uuid not null,
  kind text not null,
  owner_id uuid,
  shard smallint default 0 not null,
  balance bigint default 0 not null,
  earned bigint default 0 not null,
  entry_count bigint default 0 not null,
  head_hash bytea default '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea not null,
  prev_head_hash bytea default '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea not null,
  created_at timestamp with time zone default now() not null,
  constraint accounts_pkey PRIMARY KEY (id),
  constraint accounts_owner_kind UNIQUE NULLS NOT DISTINCT (kind, owner_id, shard),
  constraint accounts_kind_check CHECK ((kind = ANY (ARRAY['issuance'::text, 'volunteer'::text, 'held'::text, 'merchant'::text, 'payout'::text]))),
  constraint accounts_non_negative CHECK (((kind = 'issuance'::text) OR (balance >= 0))),
  constraint accounts_owner_present CHECK (((kind = 'issuance'::text) = (owner_id IS NULL))),
  constraint accounts_shard_check CHECK (((shard >= 0) AND (shard <= 31)))
);

create table activities (
  id uuid not null,
  title text not null,
  activity_type_id uuid not null,
  point_rule_id uuid not null,
  org_unit_id uuid not null,
  starts_at timestamp with time zone not null,
  ends_at timestamp with time zone not null,
  place text,
  capacity integer,
  signed_up integer default 0 not null,
  status text default 'open'::text not null,
  created_by_role text not null,
  created_by_id text not null,
  created_at timestamp with time zone default now() not null,
  check_in_secret bytea not null,
  constraint activities_pkey PRIMARY KEY (id),
  constraint activities_activity_type_id_fkey FOREIGN KEY (activity_type_id) REFERENCES activity_types(id),
  constraint activities_org_unit_id_fkey FOREIGN KEY (org_unit_id) REFERENCES org_units(id),
  constraint activities_point_rule_id_fkey FOREIGN KEY (point_rule_id) REFERENCES point_rules(id),
  constraint activities_capacity_check CHECK (((capacity >= 1) AND (capacity <= 100000))),
  constraint activities_check CHECK ((ends_at > starts_at)),
  constraint activities_check_in_secret_length CHECK (((length(check_in_secret) >= 16) AND (length(check_in_secret) <= 64))),
  constraint activities_check1 CHECK (((ends_at - starts_at) <= '31 days'::interval)),
  constraint activities_check2 CHECK (((capacity IS NULL) OR (signed_up <= capacity))),
  constraint activities_place_check CHECK (((length(place) >= 1) AND (length(place) <= 200))),
  constraint activities_signed_up_check CHECK ((signed_up >= 0)),
  constraint activities_status_check CHECK ((status = ANY (ARRAY['open'::text, 'closed'::text, 'cancelled'::text]))),
  constraint activities_title_check CHECK (((length(title) >= 1) AND (length(title) <= 200)))
);

create table activity_signups (
  activity_id uuid not null,
  volunteer_id uuid not null,
  status text not null,
  signed_up_at timestamp with time zone default now() not null,
  withdrawn_at timestamp with time zone,
  constraint activity_signups_pkey PRIMARY KEY (activity_id, volunteer_id),
  constraint activity_signups_activity_id_fkey FOREIGN KEY (activity_id) REFERENCES activities(id),
  constraint activity_signups_volunteer_id_fkey FOREIGN KEY (volunteer_id) REFERENCES volunteers(id),
  constraint activity_signups_check CHECK (((status = 'withdrawn'::text) = (withdrawn_at IS NOT NULL))),
  constraint activity_signups_status_check CHECK ((status = ANY (ARRAY['signed_up'::text, 'withdrawn'::text])))
);

create table activity_types (
  id uuid not null,
  code text not null,
  name text not null,
  created_at timestamp with time zone default now() not null,
  constraint activity_types_pkey PRIMARY KEY (id),
  constraint activity_types_code_key UNIQUE (code),
  constraint activity_types_code_check CHECK ((code ~ '^[a-z0-9][a-z0-9_-]{0,63}$'::text)),
  constraint activity_types_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200)))
);

create table certificates (
  number bigint default nextval('certificate_number_seq'::regclass) not null,
  volunteer_id uuid not null,
  service_minutes bigint not null,
  star_level integer not null,
  issued_by_role text not null,
  issued_by_id text not null,
  issued_at timestamp with time zone default now() not null,
  content_digest text,
  constraint certificates_pkey PRIMARY KEY (number),
  constraint certificates_volunteer_id_fkey FOREIGN KEY (volunteer_id) REFERENCES volunteers(id),
  constraint certificates_content_digest_check CHECK ((length(content_digest) <= 100)),
  constraint certificates_service_minutes_check CHECK ((service_minutes >= 0)),
  constraint certificates_star_level_check CHECK (((star_level >= 0) AND (star_level <= 5)))
);

create table check_in_failures (
  activity_id uuid not null,
  volunteer_id uuid not null,
  failures integer not null,
  constraint check_in_failures_pkey PRIMARY KEY (activity_id, volunteer_id),
  constraint check_in_failures_activity_id_fkey FOREIGN KEY (activity_id) REFERENCES activities(id),
  constraint check_in_failures_volunteer_id_fkey FOREIGN KEY (volunteer_id) REFERENCES volunteers(id),
  constraint check_in_failures_failures_check CHECK ((failures >= 0))
);

create table idempotency_keys (
  caller text not null,
  key text not null,
  request_hash text not null,
  response_status integer not null,
  response jsonb not null,
  created_at timestamp with time zone default now() not null,
  constraint idempotency_keys_pkey PRIMARY KEY (caller, key),
  constraint idempotency_keys_key_check CHECK (((length(key) >= 1) AND (length(key) <= 200)))
);

create table identity_links (
  issuer text not null,
  subject text not null,
  role text not null,
  principal_id text not null,
  linked_by text not null,
  created_at timestamp with time zone default now() not null,
  constraint identity_links_pkey PRIMARY KEY (issuer, subject),
  constraint identity_links_role_principal_id_issuer_key UNIQUE (role, principal_id, issuer),
  constraint identity_links_check CHECK ((((length(principal_id) >= 1) AND (length(principal_id) <= 200)) AND ((role = 'admin'::text) OR (principal_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'::text)))),
  constraint identity_links_issuer_check CHECK (((length(issuer) >= 1) AND (length(issuer) <= 500))),
  constraint identity_links_linked_by_check CHECK ((linked_by = ANY (ARRAY['registration'::text, 'sign_in_code'::text]))),
  constraint identity_links_role_check CHECK ((role = ANY (ARRAY['volunteer'::text, 'organiser'::text, 'merchant'::text, 'admin'::text]))),
  constraint identity_links_subject_check CHECK (((length(subject) >= 1) AND (length(subject) <= 255)))
);

create table ledger_digests (
  id uuid not null,
  day date not null,
  as_of timestamp with time zone not null,
  digest text not null,
  accounts bigint not null,
  entries bigint not null,
  recorded_by text not null,
  recorded_at timestamp with time zone default now() not null,
  constraint ledger_digests_pkey PRIMARY KEY (id),
  constraint ledger_digests_one_per_day UNIQUE (day),
  constraint ledger_digests_as_of_past CHECK ((as_of <= recorded_at)),
  constraint ledger_digests_counts CHECK (((accounts >= 0) AND (entries >= 0))),
  constraint ledger_digests_digest_hex CHECK ((digest ~ '^[0-9a-f]{64}$'::text)),
  constraint ledger_digests_recorded_by CHECK (((length(recorded_by) >= 1) AND (length(recorded_by) <= 200)))
);

create table ledger_postings (
  id bigint generated always as identity not null,
  transaction_id uuid not null,
  account_id uuid not null,
  seq bigint not null,
  amount bigint not null,
  balance_after bigint not null,
  prev_hash bytea not null,
  hash bytea not null,
  created_at timestamp with time zone default now() not null,
  constraint ledger_postings_pkey PRIMARY KEY (id),
  constraint ledger_postings_account_id_seq_key UNIQUE (account_id, seq),
  constraint ledger_postings_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts(id),
  constraint ledger_postings_amount_check CHECK ((amount <> 0)),
  constraint ledger_postings_seq_check CHECK ((seq >= 1))
);

create table ledger_transactions (
  id uuid not null,
  kind text not null,
  memo text,
  reference text,
  actor_role text not null,
  actor_id text not null,
  reverses_id uuid,
  created_at timestamp with time zone default now() not null,
  constraint ledger_transactions_pkey PRIMARY KEY (id),
  constraint ledger_transactions_reverses_id_key UNIQUE (reverses_id),
  constraint ledger_transactions_reverses_id_fkey FOREIGN KEY (reverses_id) REFERENCES ledger_transactions(id),
  constraint ledger_transactions_actor_id_check CHECK (((length(actor_id) >= 1) AND (length(actor_id) <= 200))),
  constraint ledger_transactions_actor_role_check CHECK ((actor_role = ANY (ARRAY['admin'::text, 'organiser'::text, 'volunteer'::text, 'merchant'::text, 'system'::text]))),
  constraint ledger_transactions_check CHECK (((kind = 'reversal'::text) = (reverses_id IS NOT NULL))),
  constraint ledger_transactions_kind_check CHECK ((kind = ANY (ARRAY['award'::text, 'correction'::text, 'adjustment'::text, 'reversal'::text, 'reserve'::text, 'settle'::text, 'release'::text, 'payout'::text]))),
  constraint ledger_transactions_memo_check CHECK ((length(memo) <= 500)),
  constraint ledger_transactions_reference_check CHECK ((length(reference) <= 200))
);

create table merchants (
  id uuid not null,
  name text not null,
  org_unit_id uuid,
  status text default 'active'::text not null,
  created_at timestamp with time zone default now() not null,
  deactivated_at timestamp with time zone,
  constraint merchants_pkey PRIMARY KEY (id),
  constraint merchants_org_unit_id_fkey FOREIGN KEY (org_unit_id) REFERENCES org_units(id),
  constraint merchants_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
  constraint merchants_status_check CHECK ((status = ANY (ARRAY['active'::text, 'inactive'::text])))
);

create table org_units (
  id uuid not null,
  parent_id uuid,
  name text not null,
  path text not null,
  depth integer not null,
  status text default 'active'::text not null,
  created_at timestamp with time zone default now() not null,
  deactivated_at timestamp with time zone,
  constraint org_units_pkey PRIMARY KEY (id),
  constraint org_units_parent_id_name_key UNIQUE NULLS NOT DISTINCT (parent_id, name),
  constraint org_units_path_key UNIQUE (path),
  constraint org_units_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES org_units(id),
  constraint org_units_depth_check CHECK (((depth >= 1) AND (depth <= 10))),
  constraint org_units_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
  constraint org_units_path_check CHECK ((path ~~ '/%/'::text)),
  constraint org_units_status_check CHECK ((status = ANY (ARRAY['active'::text, 'inactive'::text])))
);

create table organisers (
  id uuid not null,
  name text not null,
  org_unit_id uuid not null,
  status text default 'active'::text not null,
  created_at timestamp with time zone default now() not null,
  deactivated_at timestamp with time zone,
  constraint organisers_pkey PRIMARY KEY (id),
  constraint organisers_org_unit_id_fkey FOREIGN KEY (org_unit_id) REFERENCES org_units(id),
  constraint organisers_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
  constraint organisers_status_check CHECK ((status = ANY (ARRAY['active'::text, 'inactive'::text])))
);

create table packs (
  id uuid not null,
  merchant_id uuid not null,
  title text not null,
  description text,
  points bigint not null,
  stock_initial integer,
  stock_left integer,
  per_volunteer_limit integer,
  valid_from timestamp with time zone,
  valid_until timestamp with time zone,
  min_star_level smallint,
  status text default 'active'::text not null,
  created_by_role text not null,
  created_by_id text not null,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  claimed integer default 0 not null,
  constraint packs_pkey PRIMARY KEY (id),
  constraint packs_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES merchants(id),
  constraint packs_claimed_check CHECK ((claimed >= 0)),
  constraint packs_description_check CHECK ((length(description) <= 2000)),
  constraint packs_min_star_level_check CHECK (((min_star_level >= 0) AND (min_star_level <= 5))),
  constraint packs_per_volunteer_limit_check CHECK (((per_volunteer_limit >= 1) AND (per_volunteer_limit <= 1000))),
  constraint packs_points_check CHECK (((points >= 1) AND (points <= 99999))),
  constraint packs_status_check CHECK ((status = ANY (ARRAY['active'::text, 'paused'::text, 'retired'::text]))),
  constraint packs_stock_conserved CHECK (((stock_initial IS NULL) OR ((stock_left + claimed) = stock_initial))),
  constraint packs_stock_initial_check CHECK (((stock_initial >= 0) AND (stock_initial <= 1000000))),
  constraint packs_stock_left_check CHECK ((stock_left >= 0)),
  constraint packs_stock_shape CHECK (((stock_initial IS NULL) = (stock_left IS NULL))),
  constraint packs_title_check CHECK (((length(title) >= 1) AND (length(title) <= 200))),
  constraint packs_window CHECK (((valid_until IS NULL) OR (valid_from IS NULL) OR (valid_until > valid_from)))
);

create table point_rules (
  id uuid not null,
  activity_type_id uuid not null,
  version integer not null,
  kind text not null,
  points bigint not null,
  created_by text not null,
  created_at timestamp with time zone default now() not null,
  constraint point_rules_pkey PRIMARY KEY (id),
  constraint point_rules_activity_type_id_version_key UNIQUE (activity_type_id, version),
  constraint point_rules_activity_type_id_fkey FOREIGN KEY (activity_type_id) REFERENCES activity_types(id),
  constraint point_rules_created_by_check CHECK (((length(created_by) >= 1) AND (length(created_by) <= 200))),
  constraint point_rules_kind_check CHECK ((kind = ANY (ARRAY['per_hour'::text, 'per_unit'::text, 'fixed'::text]))),
  constraint point_rules_points_check CHECK (((points >= 1) AND (points <= 1000))),
  constraint point_rules_version_check CHECK ((version >= 1))
);

create table redemption_counts (
  event text not null,
  shard smallint not null,
  n bigint default 0 not null,
  constraint redemption_counts_pkey PRIMARY KEY (event, shard),
  constraint redemption_counts_event_check CHECK ((event = ANY (ARRAY['claimed'::text, 'redeemed'::text, 'cancelled'::text, 'expired'::text]))),
  constraint redemption_counts_shard_check CHECK (((shard >= 0) AND (shard <= 15)))
);

create table redemptions (
  id uuid not null,
  pack_id uuid not null,
  merchant_id uuid not null,
  volunteer_id uuid not null,
  points bigint not null,
  status text default 'issued'::text not null,
  issued_at timestamp with time zone not null,
  expires_at timestamp with time zone not null,
  token text not null,
  kid text not null,
  reserve_transaction_id uuid not null,
  resolved_at timestamp with time zone,
  resolved_by_role text,
  resolved_by_id text,
  resolve_transaction_id uuid,
  short_code text generated always as (redemption_short_code(token)) stored,
  constraint redemptions_pkey PRIMARY KEY (id),
  constraint redemptions_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES merchants(id),
  constraint redemptions_pack_id_fkey FOREIGN KEY (pack_id) REFERENCES packs(id),
  constraint redemptions_reserve_transaction_id_fkey FOREIGN KEY (reserve_transaction_id) REFERENCES ledger_transactions(id),
  constraint redemptions_resolve_transaction_id_fkey FOREIGN KEY (resolve_transaction_id) REFERENCES ledger_transactions(id),
  constraint redemptions_volunteer_id_fkey FOREIGN KEY (volunteer_id) REFERENCES volunteers(id),
  constraint redemptions_check CHECK ((expires_at > issued_at)),
  constraint redemptions_check1 CHECK (((status = 'issued'::text) = (resolved_at IS NULL))),
  constraint redemptions_check2 CHECK (((status = 'issued'::text) = (resolve_transaction_id IS NULL))),
  constraint redemptions_check3 CHECK (((status = 'issued'::text) = (resolved_by_role IS NULL))),
  constraint redemptions_points_check CHECK ((points > 0)),
  constraint redemptions_status_check CHECK ((status = ANY (ARRAY['issued'::text, 'redeemed'::text, 'cancelled'::text, 'expired'::text]))),
  constraint redemptions_token_check CHECK ((length(token) <= 300))
);

create table schema_migrations (
  name text not null,
  checksum text not null,
  applied_at timestamp with time zone default now() not null,
  constraint schema_migrations_pkey PRIMARY KEY (name)
);

create table service_record_versions (
  record_id uuid not null,
  version integer not null,
  kind text not null,
  minutes integer not null,
  units integer not null,
  points bigint not null,
  credited bigint default 0 not null,
  transaction_id uuid,
  reason text,
  actor_role text not null,
  actor_id text not null,
  created_at timestamp with time zone default now() not null,
  constraint service_record_versions_pkey PRIMARY KEY (record_id, version),
  constraint service_record_versions_record_id_fkey FOREIGN KEY (record_id) REFERENCES service_records(id),
  constraint service_record_versions_transaction_id_fkey FOREIGN KEY (transaction_id) REFERENCES ledger_transactions(id),
  constraint service_record_versions_check CHECK (((credited <> 0) = (transaction_id IS NOT NULL))),
  constraint service_record_versions_check1 CHECK (((kind = ANY (ARRAY['recorded'::text, 'approved'::text, 'corrected'::text])) OR (credited = 0))),
  constraint service_record_versions_kind_check CHECK ((kind = ANY (ARRAY['recorded'::text, 'checked_in'::text, 'checked_out'::text, 'approved'::text, 'rejected'::text, 'corrected'::text]))),
  constraint service_record_versions_minutes_check CHECK (((minutes >= 0) AND (minutes <= 44640))),
  constraint service_record_versions_points_check CHECK ((points >= 0)),
  constraint service_record_versions_reason_check CHECK ((length(reason) <= 500)),
  constraint service_record_versions_units_check CHECK (((units >= 0) AND (units <= 1000))),
  constraint service_record_versions_version_check CHECK ((version >= 1))
);

create table service_records (
  id uuid not null,
  activity_id uuid not null,
  volunteer_id uuid not null,
  point_rule_id uuid not null,
  source text not null,
  status text not null,
  current_version integer not null,
  recorded_by_role text not null,
  recorded_by_id text not null,
  decided_by_role text,
  decided_by_id text,
  decided_at timestamp with time zone,
  created_at timestamp with time zone default now() not null,
  constraint service_records_pkey PRIMARY KEY (id),
  constraint service_records_activity_id_volunteer_id_key UNIQUE (activity_id, volunteer_id),
  constraint service_records_activity_id_fkey FOREIGN KEY (activity_id) REFERENCES activities(id),
  constraint service_records_point_rule_id_fkey FOREIGN KEY (point_rule_id) REFERENCES point_rules(id),
  constraint service_records_volunteer_id_fkey FOREIGN KEY (volunteer_id) REFERENCES volunteers(id),
  constraint service_records_check CHECK (((status = ANY (ARRAY['approved'::text, 'rejected'::text])) = (decided_at IS NOT NULL))),
  constraint service_records_current_version_check CHECK ((current_version >= 1)),
  constraint service_records_source_check CHECK ((source = ANY (ARRAY['bulk_entry'::text, 'check_in'::text]))),
  constraint service_records_status_check CHECK ((status = ANY (ARRAY['checked_in'::text, 'pending'::text, 'approved'::text, 'rejected'::text])))
);

create table sessions (
  id uuid not null,
  secret_hash text not null,
  role text not null,
  principal_id text not null,
  device_label text not null,
  method text not null,
  created_at timestamp with time zone default now() not null,
  last_seen_at timestamp with time zone default now() not null,
  expires_at timestamp with time zone not null,
  constraint sessions_pkey PRIMARY KEY (id),
  constraint sessions_secret_hash_key UNIQUE (secret_hash),
  constraint sessions_check CHECK ((((length(principal_id) >= 1) AND (length(principal_id) <= 200)) AND ((role = 'admin'::text) OR (principal_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'::text)))),
  constraint sessions_check1 CHECK ((expires_at > created_at)),
  constraint sessions_check2 CHECK ((last_seen_at >= created_at)),
  constraint sessions_device_label_check CHECK (((length(device_label) >= 1) AND (length(device_label) <= 200))),
  constraint sessions_method_check CHECK ((method = ANY (ARRAY['code'::text, 'oidc'::text]))),
  constraint sessions_role_check CHECK ((role = ANY (ARRAY['volunteer'::text, 'organiser'::text, 'merchant'::text, 'admin'::text]))),
  constraint sessions_secret_hash_check CHECK ((secret_hash ~ '^[0-9a-f]{64}$'::text))
);

create table settlements (
  id uuid not null,
  merchant_id uuid not null,
  points bigint not null,
  reference text not null,
  transaction_id uuid not null,
  actor_role text not null,
  actor_id text not null,
  created_at timestamp with time zone default now() not null,
  constraint settlements_pkey PRIMARY KEY (id),
  constraint settlements_merchant_id_reference_key UNIQUE (merchant_id, reference),
  constraint settlements_transaction_id_key UNIQUE (transaction_id),
  constraint settlements_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES merchants(id),
  constraint settlements_transaction_id_fkey FOREIGN KEY (transaction_id) REFERENCES ledger_transactions(id),
  constraint settlements_points_check CHECK ((points > 0)),
  constraint settlements_reference_check CHECK (((length(reference) >= 1) AND (length(reference) <= 200)))
);

create table sign_in_codes (
  code_hash text not null,
  role text not null,
  principal_id text not null,
  issued_by text not null,
  created_at timestamp with time zone default now() not null,
  expires_at timestamp with time zone not null,
  used_at timestamp with time zone,
  constraint sign_in_codes_pkey PRIMARY KEY (code_hash),
  constraint sign_in_codes_check CHECK ((((length(principal_id) >= 1) AND (length(principal_id) <= 200)) AND ((role = 'admin'::text) OR (principal_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'::text)))),
  constraint sign_in_codes_check1 CHECK ((expires_at > created_at)),
  constraint sign_in_codes_check2 CHECK (((used_at IS NULL) OR (used_at >= created_at))),
  constraint sign_in_codes_code_hash_check CHECK ((code_hash ~ '^[0-9a-f]{64}$'::text)),
  constraint sign_in_codes_issued_by_check CHECK (((length(issued_by) >= 1) AND (length(issued_by) <= 220))),
  constraint sign_in_codes_role_check CHECK ((role = ANY (ARRAY['volunteer'::text, 'organiser'::text, 'merchant'::text, 'admin'::text])))
);

create table volunteer_posts (
  id uuid not null,
  volunteer_id uuid not null,
  org_unit_id uuid not null,
  kind text not null,
  assigned_by_role text not null,
  assigned_by_id text not null,
  assigned_at timestamp with time zone default now() not null,
  ended_at timestamp with time zone,
  ended_by_role text,
  ended_by_id text,
  constraint volunteer_posts_pkey PRIMARY KEY (id),
  constraint volunteer_posts_org_unit_id_fkey FOREIGN KEY (org_unit_id) REFERENCES org_units(id),
  constraint volunteer_posts_volunteer_id_fkey FOREIGN KEY (volunteer_id) REFERENCES volunteers(id),
  constraint volunteer_posts_assigned_by_id_check CHECK (((length(assigned_by_id) >= 1) AND (length(assigned_by_id) <= 200))),
  constraint volunteer_posts_assigned_by_role_check CHECK ((assigned_by_role = ANY (ARRAY['admin'::text, 'organiser'::text]))),
  constraint volunteer_posts_check CHECK (((ended_at IS NULL) = (ended_by_role IS NULL))),
  constraint volunteer_posts_check1 CHECK (((ended_at IS NULL) = (ended_by_id IS NULL))),
  constraint volunteer_posts_check2 CHECK (((ended_at IS NULL) OR (ended_at >= assigned_at))),
  constraint volunteer_posts_ended_by_id_check CHECK (((length(ended_by_id) >= 1) AND (length(ended_by_id) <= 200))),
  constraint volunteer_posts_ended_by_role_check CHECK ((ended_by_role = ANY (ARRAY['admin'::text, 'organiser'::text]))),
  constraint volunteer_posts_kind_check CHECK ((kind = ANY (ARRAY['building_chief'::text, 'unit_chief'::text, 'block_chief'::text, 'grid_worker'::text])))
);

create table volunteers (
  id uuid not null,
  name text not null,
  phone text,
  org_unit_id uuid not null,
  status text default 'active'::text not null,
  created_at timestamp with time zone default now() not null,
  deactivated_at timestamp with time zone,
  service_minutes bigint default 0 not null,
  constraint volunteers_pkey PRIMARY KEY (id),
  constraint volunteers_org_unit_id_fkey FOREIGN KEY (org_unit_id) REFERENCES org_units(id),
  constraint volunteers_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
  constraint volunteers_phone_check CHECK (((phone IS NULL) OR ((length(phone) >= 3) AND (length(phone) <= 32)))),
  constraint volunteers_service_minutes_check CHECK ((service_minutes >= 0)),
  constraint volunteers_status_check CHECK ((status = ANY (ARRAY['active'::text, 'inactive'::text])))
);

create table wish_categories (
  id uuid not null,
  code text not null,
  name text not null,
  points bigint not null,
  status text default 'active'::text not null,
  created_by text not null,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  constraint wish_categories_pkey PRIMARY KEY (id),
  constraint wish_categories_code_key UNIQUE (code),
  constraint wish_categories_code_check CHECK ((code ~ '^[a-z0-9][a-z0-9_-]{0,63}$'::text)),
  constraint wish_categories_created_by_check CHECK (((length(created_by) >= 1) AND (length(created_by) <= 200))),
  constraint wish_categories_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
  constraint wish_categories_points_check CHECK (((points >= 1) AND (points <= 1000))),
  constraint wish_categories_status_check CHECK ((status = ANY (ARRAY['active'::text, 'retired'::text])))
);

create table wish_counts (
  status text not null,
  shard smallint not null,
  n bigint default 0 not null,
  constraint wish_counts_pkey PRIMARY KEY (status, shard),
  constraint wish_counts_n_check CHECK ((n >= 0)),
  constraint wish_counts_shard_check CHECK (((shard >= 0) AND (shard <= 15))),
  constraint wish_counts_status_check CHECK ((status = ANY (ARRAY['open'::text, 'taken'::text, 'done'::text, 'confirmed'::text, 'cancelled'::text, 'expired'::text])))
);

create table wish_events (
  wish_id uuid not null,
  version integer not null,
  from_status text,
  to_status text not null,
  taker_id uuid,
  note text,
  transaction_id uuid,
  actor_role text not null,
  actor_id text not null,
  created_at timestamp with time zone default now() not null,
  constraint wish_events_pkey PRIMARY KEY (wish_id, version),
  constraint wish_events_taker_id_fkey FOREIGN KEY (taker_id) REFERENCES volunteers(id),
  constraint wish_events_transaction_id_fkey FOREIGN KEY (transaction_id) REFERENCES ledger_transactions(id),
  constraint wish_events_wish_id_fkey FOREIGN KEY (wish_id) REFERENCES wishes(id),
  constraint wish_events_actor_id_check CHECK (((length(actor_id) >= 1) AND (length(actor_id) <= 200))),
  constraint wish_events_actor_role_check CHECK ((actor_role = ANY (ARRAY['admin'::text, 'organiser'::text, 'volunteer'::text, 'system'::text]))),
  constraint wish_events_check CHECK (((version = 1) = (from_status IS NULL))),
  constraint wish_events_check1 CHECK (((from_status IS NULL) OR (from_status <> to_status))),
  constraint wish_events_check2 CHECK (((to_status = 'confirmed'::text) = (transaction_id IS NOT NULL))),
  constraint wish_events_from_status_check CHECK ((from_status = ANY (ARRAY['open'::text, 'taken'::text, 'done'::text, 'confirmed'::text, 'cancelled'::text, 'expired'::text]))),
  constraint wish_events_note_check CHECK (((length(note) >= 1) AND (length(note) <= 500))),
  constraint wish_events_to_status_check CHECK ((to_status = ANY (ARRAY['open'::text, 'taken'::text, 'done'::text, 'confirmed'::text, 'cancelled'::text, 'expired'::text]))),
  constraint wish_events_version_check CHECK ((version >= 1))
);

create table wishes (
  id uuid not null,
  org_unit_id uuid not null,
  category_id uuid not null,
  title text not null,
  details text,
  needed_by timestamp with time zone,
  status text default 'open'::text not null,
  version integer default 1 not null,
  posted_by_role text not null,
  posted_by_id text not null,
  poster_volunteer_id uuid,
  on_behalf_name text,
  on_behalf_contact text,
  priority_until timestamp with time zone,
  taker_id uuid,
  taken_at timestamp with time zone,
  first_taken_at timestamp with time zone,
  done_at timestamp with time zone,
  closed_at timestamp with time zone,
  points_awarded bigint,
  award_transaction_id uuid,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  constraint wishes_pkey PRIMARY KEY (id),
  constraint wishes_award_transaction_id_key UNIQUE (award_transaction_id),
  constraint wishes_award_transaction_id_fkey FOREIGN KEY (award_transaction_id) REFERENCES ledger_transactions(id),
  constraint wishes_category_id_fkey FOREIGN KEY (category_id) REFERENCES wish_categories(id),
  constraint wishes_org_unit_id_fkey FOREIGN KEY (org_unit_id) REFERENCES org_units(id),
  constraint wishes_poster_volunteer_id_fkey FOREIGN KEY (poster_volunteer_id) REFERENCES volunteers(id),
  constraint wishes_taker_id_fkey FOREIGN KEY (taker_id) REFERENCES volunteers(id),
  constraint wishes_check CHECK (((posted_by_role = 'volunteer'::text) = (poster_volunteer_id IS NOT NULL))),
  constraint wishes_check1 CHECK (((poster_volunteer_id IS NULL) OR ((poster_volunteer_id)::text = posted_by_id))),
  constraint wishes_check10 CHECK (((status <> ALL (ARRAY['done'::text, 'confirmed'::text])) OR (done_at IS NOT NULL))),
  constraint wishes_check11 CHECK (((status = ANY (ARRAY['confirmed'::text, 'cancelled'::text, 'expired'::text])) = (closed_at IS NOT NULL))),
  constraint wishes_check2 CHECK (((on_behalf_name IS NULL) OR (posted_by_role <> 'volunteer'::text))),
  constraint wishes_check3 CHECK (((priority_until IS NULL) OR (priority_until > created_at))),
  constraint wishes_check4 CHECK (((status = 'confirmed'::text) = (award_transaction_id IS NOT NULL))),
  constraint wishes_check5 CHECK (((status = 'confirmed'::text) = (points_awarded IS NOT NULL))),
  constraint wishes_check6 CHECK (((status <> ALL (ARRAY['taken'::text, 'done'::text, 'confirmed'::text])) OR ((taker_id IS NOT NULL) AND (taken_at IS NOT NULL)))),
  constraint wishes_check7 CHECK (((status <> 'open'::text) OR ((taker_id IS NULL) AND (taken_at IS NULL)))),
  constraint wishes_check8 CHECK (((taker_id IS NULL) = (taken_at IS NULL))),
  constraint wishes_check9 CHECK (((taker_id IS NULL) OR (first_taken_at IS NOT NULL))),
  constraint wishes_details_check CHECK (((length(details) >= 1) AND (length(details) <= 2000))),
  constraint wishes_needed_after_posting CHECK (((needed_by IS NULL) OR (needed_by > created_at))),
  constraint wishes_on_behalf_contact_check CHECK (((length(on_behalf_contact) >= 1) AND (length(on_behalf_contact) <= 200))),
  constraint wishes_on_behalf_name_check CHECK (((length(on_behalf_name) >= 1) AND (length(on_behalf_name) <= 100))),
  constraint wishes_points_awarded_check CHECK (((points_awarded >= 1) AND (points_awarded <= 1000))),
  constraint wishes_posted_by_id_check CHECK (((length(posted_by_id) >= 1) AND (length(posted_by_id) <= 200))),
  constraint wishes_posted_by_role_check CHECK ((posted_by_role = ANY (ARRAY['admin'::text, 'organiser'::text, 'volunteer'::text]))),
  constraint wishes_status_check CHECK ((status = ANY (ARRAY['open'::text, 'taken'::text, 'done'::text, 'confirmed'::text, 'cancelled'::text, 'expired'::text]))),
  constraint wishes_title_check CHECK (((length(title) >= 1) AND (length(title) <= 200))),
  constraint wishes_version_check CHECK ((version >= 1))
);

-- Indexes
CREATE INDEX activities_org_unit_idx ON public.activities USING btree (org_unit_id, starts_at, id);
CREATE INDEX activities_starts_idx ON public.activities USING btree (starts_at, id);
CREATE INDEX activities_type_idx ON public.activities USING btree (activity_type_id, starts_at, id);
CREATE INDEX activity_signups_volunteer_idx ON public.activity_signups USING btree (volunteer_id, activity_id);
CREATE INDEX certificates_volunteer_idx ON public.certificates USING btree (volunteer_id, number);
CREATE INDEX idempotency_keys_created_idx ON public.idempotency_keys USING btree (created_at);
CREATE INDEX ledger_digests_recorded_idx ON public.ledger_digests USING btree (day DESC);
CREATE INDEX ledger_postings_transaction_idx ON public.ledger_postings USING btree (transaction_id);
CREATE INDEX ledger_transactions_created_idx ON public.ledger_transactions USING btree (created_at, id);
CREATE INDEX ledger_transactions_reference_idx ON public.ledger_transactions USING btree (reference) WHERE (reference IS NOT NULL);
CREATE UNIQUE INDEX ledger_transactions_reserve_once ON public.ledger_transactions USING btree (reference) WHERE (kind = 'reserve'::text);
CREATE UNIQUE INDEX ledger_transactions_resolve_once ON public.ledger_transactions USING btree (reference) WHERE (kind = ANY (ARRAY['settle'::text, 'release'::text]));
CREATE INDEX merchants_org_unit_idx ON public.merchants USING btree (org_unit_id, id);
CREATE INDEX org_units_parent_idx ON public.org_units USING btree (parent_id, id);
CREATE INDEX org_units_path_prefix_idx ON public.org_units USING btree (path text_pattern_ops);
CREATE INDEX organisers_org_unit_idx ON public.organisers USING btree (org_unit_id, id);
CREATE INDEX packs_active_idx ON public.packs USING btree (id) WHERE (status = 'active'::text);
CREATE INDEX packs_merchant_idx ON public.packs USING btree (merchant_id, id);
CREATE INDEX redemptions_expiring_idx ON public.redemptions USING btree (expires_at) WHERE (status = 'issued'::text);
CREATE INDEX redemptions_merchant_redeemed_idx ON public.redemptions USING btree (merchant_id, resolved_at, id) WHERE (status = 'redeemed'::text);
CREATE INDEX redemptions_pack_status_idx ON public.redemptions USING btree (pack_id, status);
CREATE INDEX redemptions_pack_volunteer_idx ON public.redemptions USING btree (pack_id, volunteer_id) WHERE (status = ANY (ARRAY['issued'::text, 'redeemed'::text]));
CREATE INDEX redemptions_short_code_idx ON public.redemptions USING btree (short_code);
CREATE INDEX redemptions_volunteer_idx ON public.redemptions USING btree (volunteer_id, id);
CREATE UNIQUE INDEX service_record_versions_credited_once ON public.service_record_versions USING btree (record_id) WHERE (kind = ANY (ARRAY['recorded'::text, 'approved'::text]));
CREATE INDEX service_record_versions_transaction_idx ON public.service_record_versions USING btree (transaction_id) WHERE (transaction_id IS NOT NULL);
CREATE INDEX service_records_activity_idx ON public.service_records USING btree (activity_id, id);
CREATE INDEX service_records_volunteer_idx ON public.service_records USING btree (volunteer_id, id);
CREATE INDEX sessions_expiry_idx ON public.sessions USING btree (expires_at);
CREATE INDEX sessions_principal_idx ON public.sessions USING btree (principal_id, role, created_at);
CREATE INDEX settlements_merchant_created_idx ON public.settlements USING btree (merchant_id, created_at, id);
CREATE INDEX sign_in_codes_expiry_idx ON public.sign_in_codes USING btree (expires_at);
CREATE UNIQUE INDEX sign_in_codes_one_live_idx ON public.sign_in_codes USING btree (role, principal_id) WHERE (used_at IS NULL);
CREATE UNIQUE INDEX volunteer_posts_held_once ON public.volunteer_posts USING btree (volunteer_id, org_unit_id, kind) WHERE (ended_at IS NULL);
CREATE INDEX volunteer_posts_unit_idx ON public.volunteer_posts USING btree (org_unit_id, volunteer_id) WHERE (ended_at IS NULL);
CREATE INDEX volunteer_posts_volunteer_idx ON public.volunteer_posts USING btree (volunteer_id, id);
CREATE INDEX volunteers_name_idx ON public.volunteers USING btree (name, id);
CREATE INDEX volunteers_org_unit_idx ON public.volunteers USING btree (org_unit_id, id);
CREATE INDEX volunteers_phone_key_idx ON public.volunteers USING btree (phone_key(phone)) WHERE (phone IS NOT NULL);
CREATE UNIQUE INDEX wish_events_award_once ON public.wish_events USING btree (transaction_id) WHERE (transaction_id IS NOT NULL);
CREATE UNIQUE INDEX wish_events_confirmed_once ON public.wish_events USING btree (wish_id) WHERE (to_status = 'confirmed'::text);
CREATE INDEX wish_events_taker_idx ON public.wish_events USING btree (taker_id) WHERE (taker_id IS NOT NULL);
CREATE INDEX wishes_category_idx ON public.wishes USING btree (category_id, id);
CREATE INDEX wishes_created_idx ON public.wishes USING btree (created_at, id);
CREATE INDEX wishes_expiring_idx ON public.wishes USING btree (needed_by) WHERE ((status = 'open'::text) AND (needed_by IS NOT NULL));
CREATE INDEX wishes_org_unit_idx ON public.wishes USING btree (org_unit_id, id);
CREATE INDEX wishes_poster_idx ON public.wishes USING btree (posted_by_id, id);
CREATE INDEX wishes_poster_volunteer_idx ON public.wishes USING btree (poster_volunteer_id, id) WHERE (poster_volunteer_id IS NOT NULL);
CREATE INDEX wishes_status_idx ON public.wishes USING btree (status, id);
CREATE INDEX wishes_taker_idx ON public.wishes USING btree (taker_id, id) WHERE (taker_id IS NOT NULL);

-- Functions
CREATE OR REPLACE FUNCTION public.accounts_guard()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
  $function$;

CREATE OR REPLACE FUNCTION public.active_principals(p_role text, p_ids uuid[])
 RETURNS TABLE(id uuid, org_unit_id uuid, path text)
 LANGUAGE plpgsql
 STABLE
 SET enable_seqscan TO 'off'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
  begin
    if p_role = 'organiser' then
      return query select o.id, o.org_unit_id, u.path from organisers o join org_units u on u.id = o.org_unit_id
                    where o.id = any(p_ids) and o.status = 'active';
    elsif p_role = 'volunteer' then
      return query select v.id, v.org_unit_id, null::text from volunteers v where v.id = any(p_ids) and v.status = 'active';
    elsif p_role = 'merchant' then
      return query select m.id, null::uuid, null::text from merchants m where m.id = any(p_ids) and m.status = 'active';
    end if;
  end
  $function$;

CREATE OR REPLACE FUNCTION public.idempotency_begin(p_caller text, p_key text, p_hash text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
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
  $function$;

CREATE OR REPLACE FUNCTION public.idempotency_finish(p_caller text, p_key text, p_hash text, p_status integer, p_response jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
  begin
    insert into idempotency_keys (caller, key, request_hash, response_status, response)
    values (p_caller, p_key, p_hash, p_status, p_response);
  end
  $function$;

CREATE OR REPLACE FUNCTION public.jifen_raise(p_code text, p_detail jsonb DEFAULT '{}'::jsonb)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
  begin
    raise exception 'jifen:%', p_code using errcode = 'P0001', detail = p_detail::text;
  end
  $function$;

CREATE OR REPLACE FUNCTION public.ledger_account_id(tag text)
 RETURNS uuid
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
AS $function$ select md5(tag)::uuid $function$;

CREATE OR REPLACE FUNCTION public.ledger_apply(p jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
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
  $function$;

CREATE OR REPLACE FUNCTION public.ledger_apply_batch(p jsonb)
 RETURNS integer
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
  declare
    v_count integer := 0;
    v_request jsonb;
  begin
    for v_request in select e from jsonb_array_elements(p) e
    loop
      perform ledger_apply(v_request);
      v_count := v_count + 1;
    end loop;
    return v_count;
  end
  $function$;

CREATE OR REPLACE FUNCTION public.ledger_check_balanced()
 RETURNS trigger
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
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
  $function$;

CREATE OR REPLACE FUNCTION public.ledger_guard(p_guard jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
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
  $function$;

CREATE OR REPLACE FUNCTION public.ledger_micros(t timestamp with time zone)
 RETURNS bigint
 LANGUAGE sql
 STABLE PARALLEL SAFE STRICT
AS $function$ select (extract(epoch from t) * 1000000)::bigint $function$;

CREATE OR REPLACE FUNCTION public.ledger_posting_hash(p_prev bytea, p_account uuid, p_seq bigint, p_transaction uuid, p_amount bigint, p_balance_after bigint, p_tx_digest bytea)
 RETURNS bytea
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
    select sha256(p_prev || convert_to(jsonb_build_array(p_account, p_seq, p_transaction, p_amount, p_balance_after, encode(p_tx_digest, 'hex'))::text, 'UTF8'))
  $function$;

CREATE OR REPLACE FUNCTION public.ledger_postings_stamp()
 RETURNS trigger
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
  begin
    perform 1 from ledger_transactions where id = new.transaction_id and created_at = now();
    if not found then
      raise exception 'postings may only be added to a transaction created in the same database transaction'
        using errcode = 'P0001';
    end if;
    new.created_at := now();
    return new;
  end
  $function$;

CREATE OR REPLACE FUNCTION public.ledger_refuse_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
  begin
    raise exception 'ledger rows are append-only: % on % refused', tg_op, tg_table_name
      using errcode = 'P0001', hint = 'correct with a new reversing transaction';
  end
  $function$;

CREATE OR REPLACE FUNCTION public.ledger_transactions_stamp()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
  begin
    new.created_at := now();
    return new;
  end
  $function$;

CREATE OR REPLACE FUNCTION public.ledger_tx_digest(p_id uuid, p_kind text, p_memo text, p_reference text, p_actor_role text, p_actor_id text, p_reverses uuid, p_created timestamp with time zone)
 RETURNS bytea
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
    select sha256(convert_to(jsonb_build_array(p_id, p_kind, p_memo, p_reference, p_actor_role, p_actor_id, p_reverses, ledger_micros(p_created))::text, 'UTF8'))
  $function$;

CREATE OR REPLACE FUNCTION public.packs_guard()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
  $function$;

CREATE OR REPLACE FUNCTION public.phone_key(phone text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
    select nullif(regexp_replace(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g'), '^86(1[0-9]{10})$', '\1'), '')
  $function$;

CREATE OR REPLACE FUNCTION public.redemption_claim(p jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
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
  $function$;

CREATE OR REPLACE FUNCTION public.redemption_counts_written()
 RETURNS trigger
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
  begin
    update redemption_counts set n = n + 1
     where event = case when tg_op = 'INSERT' then 'claimed' else new.status end
       and shard = pg_backend_pid() & 15;
    return null;
  end
  $function$;

CREATE OR REPLACE FUNCTION public.redemption_redeem(p jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
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
  $function$;

CREATE OR REPLACE FUNCTION public.redemption_short_code(token text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
    select string_agg(substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', get_byte(d, i) % 31 + 1, 1), '' order by i)
      from (select sha256(textsend(token)) as d) digest, generate_series(0, 7) as i
  $function$;

CREATE OR REPLACE FUNCTION public.redemption_view(p_id uuid)
 RETURNS TABLE(r redemptions, pack_title text, merchant_name text, volunteer_name text)
 LANGUAGE plpgsql
 STABLE
 SET enable_seqscan TO 'off'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
  begin
    return query
      select x, p.title, m.name, v.name
        from redemptions x
        join packs p on p.id = x.pack_id
        join merchants m on m.id = x.merchant_id
        join volunteers v on v.id = x.volunteer_id
       where x.id = p_id;
  end
  $function$;

CREATE OR REPLACE FUNCTION public.redemptions_guard()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
  $function$;

CREATE OR REPLACE FUNCTION public.service_records_guard()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
  begin
    if tg_op = 'DELETE' then
      raise exception 'service records are permanent: DELETE refused' using errcode = 'P0001';
    end if;
    if new.id <> old.id or new.activity_id <> old.activity_id or new.volunteer_id <> old.volunteer_id
       or new.point_rule_id <> old.point_rule_id or new.source <> old.source
       or new.recorded_by_role <> old.recorded_by_role or new.recorded_by_id <> old.recorded_by_id
       or new.created_at <> old.created_at then
      raise exception 'a service record''s identity cannot change' using errcode = 'P0001';
    end if;
    if new.current_version <= old.current_version then
      raise exception 'a service record only gains versions' using errcode = 'P0001';
    end if;
    if new.status <> old.status and not (
         (old.status = 'checked_in' and new.status in ('pending', 'rejected'))
      or (old.status = 'pending' and new.status in ('approved', 'rejected'))) then
      raise exception 'a service record cannot go from % to %', old.status, new.status using errcode = 'P0001';
    end if;
    if old.decided_at is not null and (new.decided_at is distinct from old.decided_at
       or new.decided_by_id is distinct from old.decided_by_id or new.decided_by_role is distinct from old.decided_by_role) then
      raise exception 'a service record''s decision cannot change' using errcode = 'P0001';
    end if;
    return new;
  end
  $function$;

CREATE OR REPLACE FUNCTION public.settlements_refuse_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
  begin
    raise exception 'settlements are append-only: % refused', tg_op using errcode = 'P0001';
  end
  $function$;

CREATE OR REPLACE FUNCTION public.sign_in_end_for_inactive()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
  begin
    delete from sessions where role = tg_argv[0] and principal_id = new.id::text;
    delete from sign_in_codes where role = tg_argv[0] and principal_id = new.id::text and used_at is null;
    return null;
  end
  $function$;

CREATE OR REPLACE FUNCTION public.volunteer_ledgers(p_ids uuid[])
 RETURNS TABLE(id uuid, path text, balance bigint, earned bigint, held bigint, service_minutes bigint)
 LANGUAGE plpgsql
 STABLE
 SET enable_seqscan TO 'off'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
  begin
    return query
      select v.id, u.path, a.balance, a.earned, h.balance, v.service_minutes
        from volunteers v
        join org_units u on u.id = v.org_unit_id
        join accounts a on a.id = v.id
        join accounts h on h.id = ledger_account_id('held:' || v.id)
       where v.id = any(p_ids);
  end
  $function$;

CREATE OR REPLACE FUNCTION public.volunteer_posts_guard()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
  $function$;

CREATE OR REPLACE FUNCTION public.wish_categories_guard()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
  begin
    if tg_op <> 'UPDATE' then
      raise exception 'wish categories are permanent (retire them instead): % refused', tg_op using errcode = 'P0001';
    end if;
    if new.id <> old.id or new.code <> old.code or new.created_at <> old.created_at or new.created_by <> old.created_by then
      raise exception 'a wish category''s identity cannot change' using errcode = 'P0001';
    end if;
    return new;
  end
  $function$;

CREATE OR REPLACE FUNCTION public.wish_counts_apply(p_deltas jsonb)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
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
  $function$;

CREATE OR REPLACE FUNCTION public.wish_counts_inserted()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
  begin
    perform wish_counts_apply((select coalesce(jsonb_agg(jsonb_build_object('status', status, 'shard', wish_shard(id), 'delta', 1)), '[]') from new_rows));
    return null;
  end
  $function$;

CREATE OR REPLACE FUNCTION public.wish_counts_updated()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
  begin
    perform wish_counts_apply((
      select coalesce(jsonb_agg(d), '[]') from (
        select jsonb_build_object('status', status, 'shard', wish_shard(id), 'delta', 1) as d from new_rows
        union all
        select jsonb_build_object('status', status, 'shard', wish_shard(id), 'delta', -1) from old_rows
      ) x));
    return null;
  end
  $function$;

CREATE OR REPLACE FUNCTION public.wish_events_chain()
 RETURNS trigger
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
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
  $function$;

CREATE OR REPLACE FUNCTION public.wish_shard(p_id uuid)
 RETURNS smallint
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
AS $function$ select (hashtext(p_id::text) & 15)::smallint $function$;

CREATE OR REPLACE FUNCTION public.wishes_guard()
 RETURNS trigger
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
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
  $function$;

CREATE OR REPLACE FUNCTION public.wishes_history_written()
 RETURNS trigger
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
  begin
    perform 1 from wish_events where wish_id = new.id and version = new.version and to_status = new.status;
    if not found then
      raise exception 'wish % reached version % (%) without a history row', new.id, new.version, new.status using errcode = 'P0001';
    end if;
    return null;
  end
  $function$;

CREATE OR REPLACE FUNCTION public.write_group(p jsonb, p_each_alone boolean)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
  declare
    v_item jsonb;
    v_out jsonb := '[]'::jsonb;
    v_state text;
    v_message text;
    v_detail text;
    v_constraint text;
  begin
    if not p_each_alone then
      begin
        perform write_group_lock(p);
        for v_item in select value from jsonb_array_elements(p) loop
          v_out := v_out || jsonb_build_array(jsonb_build_object('ok', write_group_item(v_item)));
        end loop;
        return v_out;
      exception when plpgsql_error or integrity_constraint_violation or data_exception then
        -- An item was refused: everything above is undone, locks included. Run the group again
        -- with each item on its own.
        v_out := '[]'::jsonb;
      end;
    end if;

    perform write_group_lock(p);
    for v_item in select value from jsonb_array_elements(p) loop
      begin
        v_out := v_out || jsonb_build_array(jsonb_build_object('ok', write_group_item(v_item)));
      exception when plpgsql_error or integrity_constraint_violation or data_exception then
        get stacked diagnostics v_state = returned_sqlstate, v_message = message_text,
                                v_detail = pg_exception_detail, v_constraint = constraint_name;
        v_out := v_out || jsonb_build_array(jsonb_build_object('error', jsonb_build_object(
          'code', v_state, 'message', v_message, 'detail', nullif(v_detail, ''), 'constraint_name', nullif(v_constraint, ''))));
      end;
    end loop;
    return v_out;
  end
  $function$;

CREATE OR REPLACE FUNCTION public.write_group_item(p_item jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
  declare
    v_result jsonb;
  begin
    v_result := case p_item->>'op'
      when 'ledger' then ledger_apply(p_item->'arg')
      when 'claim' then redemption_claim(p_item->'arg')
      when 'redeem' then redemption_redeem(p_item->'arg')
    end;
    if v_result is null then
      raise exception 'write_group: unknown op %', p_item->>'op' using errcode = 'XX000';
    end if;
    return v_result;
  end
  $function$;

CREATE OR REPLACE FUNCTION public.write_group_lock(p jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
 SET enable_seqscan TO 'off'
AS $function$
  declare
    v_redemptions uuid[];
    v_reverses uuid[];
    v_claimers uuid[];
    v_packs uuid[];
    v_accounts uuid[];
  begin
    select coalesce(array_agg((i->'arg'->>'id')::uuid) filter (where i->>'op' = 'redeem'), '{}'),
           coalesce(array_agg((i->'arg'->'transaction'->>'reverses')::uuid)
                      filter (where i->>'op' = 'ledger' and i->'arg'->'transaction'->>'reverses' is not null), '{}'),
           coalesce(array_agg((i->'arg'->'redemption'->>'volunteerId')::uuid) filter (where i->>'op' = 'claim'), '{}'),
           coalesce(array_agg((i->'arg'->'redemption'->>'packId')::uuid) filter (where i->>'op' = 'claim'), '{}'),
           coalesce(array_agg((e->>'account')::uuid) filter (where e is not null), '{}')
      into v_redemptions, v_reverses, v_claimers, v_packs, v_accounts
      from jsonb_array_elements(p) i
      left join lateral jsonb_array_elements(case when i->>'op' = 'ledger' then i->'arg'->'postings' end) e on true;

    if cardinality(v_redemptions) > 0 then
      perform 1 from redemptions where id = any(v_redemptions) order by id for update;
      -- A redeem moves points from the volunteer's held account to the shop's.
      v_accounts := v_accounts || array(
        select v.id from redemptions r, lateral (values (ledger_account_id('held:' || r.volunteer_id)), (r.merchant_id)) v (id)
         where r.id = any(v_redemptions));
    end if;
    if cardinality(v_reverses) > 0 then
      v_accounts := v_accounts || array(select account_id from ledger_postings where transaction_id = any(v_reverses));
    end if;
    if cardinality(v_claimers) > 0 then
      -- A claim moves points from the volunteer's account to its held account.
      v_accounts := v_accounts || v_claimers || array(select ledger_account_id('held:' || c) from unnest(v_claimers) c);
    end if;

    perform 1 from accounts where id = any(v_accounts) order by id for no key update;
    if cardinality(v_packs) > 0 then
      perform 1 from packs where id = any(v_packs) order by id for no key update;
    end if;
  end
  $function$;

-- Triggers
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON public.accounts FOR EACH STATEMENT EXECUTE FUNCTION accounts_guard();
alter table accounts enable always trigger accounts_no_truncate;
CREATE TRIGGER accounts_permanent BEFORE DELETE OR UPDATE OF id, kind, owner_id, shard, created_at ON public.accounts FOR EACH ROW EXECUTE FUNCTION accounts_guard();
alter table accounts enable always trigger accounts_permanent;
CREATE TRIGGER certificates_append_only BEFORE DELETE OR UPDATE ON public.certificates FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
alter table certificates enable always trigger certificates_append_only;
CREATE TRIGGER ledger_digests_append_only BEFORE DELETE OR UPDATE ON public.ledger_digests FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
alter table ledger_digests enable always trigger ledger_digests_append_only;
CREATE TRIGGER ledger_digests_no_truncate BEFORE TRUNCATE ON public.ledger_digests FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
alter table ledger_digests enable always trigger ledger_digests_no_truncate;
CREATE TRIGGER ledger_postings_append_only BEFORE DELETE OR UPDATE ON public.ledger_postings FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
alter table ledger_postings enable always trigger ledger_postings_append_only;
CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON public.ledger_postings FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
alter table ledger_postings enable always trigger ledger_postings_no_truncate;
CREATE TRIGGER ledger_postings_stamp BEFORE INSERT ON public.ledger_postings FOR EACH ROW EXECUTE FUNCTION ledger_postings_stamp();
alter table ledger_postings enable always trigger ledger_postings_stamp;
CREATE TRIGGER ledger_transactions_append_only BEFORE DELETE OR UPDATE ON public.ledger_transactions FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
alter table ledger_transactions enable always trigger ledger_transactions_append_only;
CREATE CONSTRAINT TRIGGER ledger_transactions_balanced AFTER INSERT ON public.ledger_transactions DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
alter table ledger_transactions enable always trigger ledger_transactions_balanced;
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON public.ledger_transactions FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
alter table ledger_transactions enable always trigger ledger_transactions_no_truncate;
CREATE TRIGGER ledger_transactions_stamp BEFORE INSERT ON public.ledger_transactions FOR EACH ROW EXECUTE FUNCTION ledger_transactions_stamp();
alter table ledger_transactions enable always trigger ledger_transactions_stamp;
CREATE TRIGGER merchants_end_sign_in AFTER UPDATE OF status ON public.merchants FOR EACH ROW WHEN (((new.status = 'inactive'::text) AND (old.status <> 'inactive'::text))) EXECUTE FUNCTION sign_in_end_for_inactive('merchant');
CREATE TRIGGER organisers_end_sign_in AFTER UPDATE OF status ON public.organisers FOR EACH ROW WHEN (((new.status = 'inactive'::text) AND (old.status <> 'inactive'::text))) EXECUTE FUNCTION sign_in_end_for_inactive('organiser');
CREATE TRIGGER packs_permanent BEFORE DELETE OR UPDATE OF id, merchant_id, points, stock_initial, created_at, status ON public.packs FOR EACH ROW EXECUTE FUNCTION packs_guard();
CREATE TRIGGER point_rules_append_only BEFORE DELETE OR UPDATE ON public.point_rules FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
alter table point_rules enable always trigger point_rules_append_only;
CREATE TRIGGER redemption_counts_on_insert AFTER INSERT ON public.redemptions FOR EACH ROW EXECUTE FUNCTION redemption_counts_written();
alter table redemptions enable always trigger redemption_counts_on_insert;
CREATE TRIGGER redemption_counts_on_resolve AFTER UPDATE OF status ON public.redemptions FOR EACH ROW WHEN ((old.status IS DISTINCT FROM new.status)) EXECUTE FUNCTION redemption_counts_written();
alter table redemptions enable always trigger redemption_counts_on_resolve;
CREATE TRIGGER redemptions_no_truncate BEFORE TRUNCATE ON public.redemptions FOR EACH STATEMENT EXECUTE FUNCTION redemptions_guard();
alter table redemptions enable always trigger redemptions_no_truncate;
CREATE TRIGGER redemptions_write_once BEFORE DELETE OR UPDATE ON public.redemptions FOR EACH ROW EXECUTE FUNCTION redemptions_guard();
alter table redemptions enable always trigger redemptions_write_once;
CREATE TRIGGER service_record_versions_append_only BEFORE DELETE OR UPDATE ON public.service_record_versions FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
alter table service_record_versions enable always trigger service_record_versions_append_only;
CREATE TRIGGER service_record_versions_no_truncate BEFORE TRUNCATE ON public.service_record_versions FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
alter table service_record_versions enable always trigger service_record_versions_no_truncate;
CREATE TRIGGER service_records_guard BEFORE DELETE OR UPDATE ON public.service_records FOR EACH ROW EXECUTE FUNCTION service_records_guard();
alter table service_records enable always trigger service_records_guard;
CREATE TRIGGER service_records_no_truncate BEFORE TRUNCATE ON public.service_records FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
alter table service_records enable always trigger service_records_no_truncate;
CREATE TRIGGER settlements_append_only BEFORE DELETE OR UPDATE ON public.settlements FOR EACH ROW EXECUTE FUNCTION settlements_refuse_change();
alter table settlements enable always trigger settlements_append_only;
CREATE TRIGGER settlements_no_truncate BEFORE TRUNCATE ON public.settlements FOR EACH STATEMENT EXECUTE FUNCTION settlements_refuse_change();
alter table settlements enable always trigger settlements_no_truncate;
CREATE TRIGGER volunteer_posts_end_once BEFORE DELETE OR UPDATE ON public.volunteer_posts FOR EACH ROW EXECUTE FUNCTION volunteer_posts_guard();
alter table volunteer_posts enable always trigger volunteer_posts_end_once;
CREATE TRIGGER volunteer_posts_no_truncate BEFORE TRUNCATE ON public.volunteer_posts FOR EACH STATEMENT EXECUTE FUNCTION volunteer_posts_guard();
alter table volunteer_posts enable always trigger volunteer_posts_no_truncate;
CREATE TRIGGER volunteers_end_sign_in AFTER UPDATE OF status ON public.volunteers FOR EACH ROW WHEN (((new.status = 'inactive'::text) AND (old.status <> 'inactive'::text))) EXECUTE FUNCTION sign_in_end_for_inactive('volunteer');
CREATE TRIGGER wish_categories_no_truncate BEFORE TRUNCATE ON public.wish_categories FOR EACH STATEMENT EXECUTE FUNCTION wish_categories_guard();
alter table wish_categories enable always trigger wish_categories_no_truncate;
CREATE TRIGGER wish_categories_permanent BEFORE DELETE OR UPDATE ON public.wish_categories FOR EACH ROW EXECUTE FUNCTION wish_categories_guard();
alter table wish_categories enable always trigger wish_categories_permanent;
CREATE TRIGGER wish_events_append_only BEFORE DELETE OR UPDATE ON public.wish_events FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
alter table wish_events enable always trigger wish_events_append_only;
CREATE TRIGGER wish_events_chain BEFORE INSERT ON public.wish_events FOR EACH ROW EXECUTE FUNCTION wish_events_chain();
alter table wish_events enable always trigger wish_events_chain;
CREATE TRIGGER wish_events_no_truncate BEFORE TRUNCATE ON public.wish_events FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
alter table wish_events enable always trigger wish_events_no_truncate;
CREATE TRIGGER wish_counts_on_insert AFTER INSERT ON public.wishes REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION wish_counts_inserted();
alter table wishes enable always trigger wish_counts_on_insert;
CREATE TRIGGER wish_counts_on_update AFTER UPDATE ON public.wishes REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION wish_counts_updated();
alter table wishes enable always trigger wish_counts_on_update;
CREATE TRIGGER wishes_guard BEFORE DELETE OR UPDATE ON public.wishes FOR EACH ROW EXECUTE FUNCTION wishes_guard();
alter table wishes enable always trigger wishes_guard;
CREATE CONSTRAINT TRIGGER wishes_history_written AFTER INSERT OR UPDATE ON public.wishes DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wishes_history_written();
alter table wishes enable always trigger wishes_history_written;
CREATE TRIGGER wishes_no_truncate BEFORE TRUNCATE ON public.wishes FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
alter table wishes enable always trigger wishes_no_truncate;
