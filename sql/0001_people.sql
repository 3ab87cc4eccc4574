-- People and places: the org-unit tree, organisers scoped to a unit, volunteers and merchants.
-- Ids are UUIDv7 minted by the service, so ordering by id is ordering by creation (keyset paging).

create table org_units (
  id uuid primary key,
  parent_id uuid references org_units (id),
  name text not null check (length(name) between 1 and 200),
  -- Materialised path of ids, '/root/child/.../self/'. Units never move, so a path never changes
  -- and "is X inside Y's subtree" is a prefix test served by the text_pattern_ops index.
  path text not null unique check (path like '/%/'),
  depth integer not null check (depth between 1 and 10),
  status text not null default 'active' check (status in ('active', 'inactive')),
  created_at timestamptz not null default now(),
  deactivated_at timestamptz,
  unique nulls not distinct (parent_id, name)
);
create index org_units_path_prefix_idx on org_units (path text_pattern_ops);
create index org_units_parent_idx on org_units (parent_id, id);

create table organisers (
  id uuid primary key,
  name text not null check (length(name) between 1 and 200),
  org_unit_id uuid not null references org_units (id),
  status text not null default 'active' check (status in ('active', 'inactive')),
  created_at timestamptz not null default now(),
  deactivated_at timestamptz
);
create index organisers_org_unit_idx on organisers (org_unit_id, id);

create table volunteers (
  id uuid primary key,
  name text not null check (length(name) between 1 and 200),
  -- Personal data lives here and only here; ledger rows refer to volunteers by id alone.
  phone text check (phone is null or length(phone) between 3 and 32),
  org_unit_id uuid not null references org_units (id),
  status text not null default 'active' check (status in ('active', 'inactive')),
  created_at timestamptz not null default now(),
  deactivated_at timestamptz
);
create index volunteers_org_unit_idx on volunteers (org_unit_id, id);

create table merchants (
  id uuid primary key,
  name text not null check (length(name) between 1 and 200),
  org_unit_id uuid references org_units (id),
  status text not null default 'active' check (status in ('active', 'inactive')),
  created_at timestamptz not null default now(),
  deactivated_at timestamptz
);
create index merchants_org_unit_idx on merchants (org_unit_id, id);
