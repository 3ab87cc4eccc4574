-- Activities and hours: activity types with versioned point rules, activities with sign-ups and a
-- check-in code, service records with append-only versions, and issued certificates.
--
-- Hours and points are separate things. A service record's versions say how many minutes (and
-- units) a volunteer served; the points they are worth move through ledger_apply like every other
-- award, and the ledger transaction is named on the version that caused it.

create table activity_types (
  id uuid primary key,
  code text not null unique check (code ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now()
);

-- A rule is never edited: changing it appends the next version, and every activity (hence every
-- award) names the exact version it uses, so past awards keep theirs.
create table point_rules (
  id uuid primary key,
  activity_type_id uuid not null references activity_types (id),
  version integer not null check (version >= 1),
  kind text not null check (kind in ('per_hour', 'per_unit', 'fixed')),
  points bigint not null check (points between 1 and 1000),
  created_by text not null check (length(created_by) between 1 and 200),
  created_at timestamptz not null default now(),
  unique (activity_type_id, version)
);

create table activities (
  id uuid primary key,
  title text not null check (length(title) between 1 and 200),
  activity_type_id uuid not null references activity_types (id),
  point_rule_id uuid not null references point_rules (id),
  org_unit_id uuid not null references org_units (id),
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  place text check (length(place) between 1 and 200),
  capacity integer check (capacity between 1 and 100000),
  -- A counter kept under the activity row's lock: the check below makes overbooking impossible
  -- even for a writer that forgot to look.
  signed_up integer not null default 0 check (signed_up >= 0),
  status text not null default 'open' check (status in ('open', 'closed', 'cancelled')),
  check_in_code text not null check (check_in_code ~ '^[0-9]{6}$'),
  created_by_role text not null,
  created_by_id text not null,
  created_at timestamptz not null default now(),
  check (ends_at > starts_at),
  check (ends_at - starts_at <= interval '31 days'),
  check (capacity is null or signed_up <= capacity)
);
create index activities_starts_idx on activities (starts_at, id);
create index activities_org_unit_idx on activities (org_unit_id, starts_at, id);
create index activities_type_idx on activities (activity_type_id, starts_at, id);

create table activity_signups (
  activity_id uuid not null references activities (id),
  volunteer_id uuid not null references volunteers (id),
  status text not null check (status in ('signed_up', 'withdrawn')),
  signed_up_at timestamptz not null default now(),
  withdrawn_at timestamptz,
  primary key (activity_id, volunteer_id),
  check ((status = 'withdrawn') = (withdrawn_at is not null))
);
create index activity_signups_volunteer_idx on activity_signups (volunteer_id, activity_id);

-- Wrong check-in codes per volunteer and activity: after a handful the volunteer is locked out of
-- that activity's check-in, so a six-digit code cannot be guessed by trying them all.
create table check_in_failures (
  activity_id uuid not null references activities (id),
  volunteer_id uuid not null references volunteers (id),
  failures integer not null check (failures >= 0),
  primary key (activity_id, volunteer_id)
);

-- The identity of a service record: who, where, how it came to be, and where it stands. The
-- minutes, units and points live only in service_record_versions.
create table service_records (
  id uuid primary key,
  activity_id uuid not null references activities (id),
  volunteer_id uuid not null references volunteers (id),
  point_rule_id uuid not null references point_rules (id),
  source text not null check (source in ('bulk_entry', 'check_in')),
  status text not null check (status in ('checked_in', 'pending', 'approved', 'rejected')),
  current_version integer not null check (current_version >= 1),
  recorded_by_role text not null,
  recorded_by_id text not null,
  decided_by_role text,
  decided_by_id text,
  decided_at timestamptz,
  created_at timestamptz not null default now(),
  -- One record per volunteer per activity, whatever its status.
  unique (activity_id, volunteer_id),
  check ((status in ('approved', 'rejected')) = (decided_at is not null))
);
create index service_records_volunteer_idx on service_records (volunteer_id, id);
create index service_records_activity_idx on service_records (activity_id, id);

-- Append-only history of each record. Kinds: recorded (bulk entry, approved and credited at once),
-- checked_in, checked_out (pending), approved (credited), rejected, corrected. `credited` is the
-- points this version moved through the ledger (0 when none), `transaction_id` that movement.
create table service_record_versions (
  record_id uuid not null references service_records (id),
  version integer not null check (version >= 1),
  kind text not null check (kind in ('recorded', 'checked_in', 'checked_out', 'approved', 'rejected', 'corrected')),
  minutes integer not null check (minutes between 0 and 44640),
  units integer not null check (units between 0 and 1000),
  points bigint not null check (points >= 0),
  credited bigint not null default 0,
  transaction_id uuid references ledger_transactions (id),
  reason text check (length(reason) <= 500),
  actor_role text not null,
  actor_id text not null,
  created_at timestamptz not null default now(),
  primary key (record_id, version),
  check ((credited <> 0) = (transaction_id is not null)),
  check (kind in ('recorded', 'approved', 'corrected') or credited = 0)
);
-- A record is credited at most once: only one 'recorded' or 'approved' version may ever exist for it.
create unique index service_record_versions_credited_once on service_record_versions (record_id) where kind in ('recorded', 'approved');
create index service_record_versions_transaction_idx on service_record_versions (transaction_id) where transaction_id is not null;

-- Certificates of service hours issued, numbered from a sequence so a number is never reused.
create sequence certificate_number_seq;
create table certificates (
  number bigint primary key default nextval('certificate_number_seq'),
  volunteer_id uuid not null references volunteers (id),
  service_minutes bigint not null check (service_minutes >= 0),
  star_level integer not null check (star_level between 0 and 5),
  issued_by_role text not null,
  issued_by_id text not null,
  issued_at timestamptz not null default now()
);
create index certificates_volunteer_idx on certificates (volunteer_id, number);

---------------------------------------------------------------------------------------------------
-- The database enforces the history rules as well as the code: rule versions, record versions and
-- certificates are never changed or removed (ledger_refuse_change from 0002 says so), and a record's
-- identity never changes while its status only moves forward.

create trigger point_rules_append_only before update or delete on point_rules
  for each row execute function ledger_refuse_change();
create trigger service_record_versions_append_only before update or delete on service_record_versions
  for each row execute function ledger_refuse_change();
create trigger service_record_versions_no_truncate before truncate on service_record_versions
  for each statement execute function ledger_refuse_change();
create trigger certificates_append_only before update or delete on certificates
  for each row execute function ledger_refuse_change();
alter table point_rules enable always trigger point_rules_append_only;
alter table service_record_versions enable always trigger service_record_versions_append_only;
alter table service_record_versions enable always trigger service_record_versions_no_truncate;
alter table certificates enable always trigger certificates_append_only;

create function service_records_guard() returns trigger
  language plpgsql
  as $$
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
  $$;
create trigger service_records_guard before update or delete on service_records
  for each row execute function service_records_guard();
create trigger service_records_no_truncate before truncate on service_records
  for each statement execute function ledger_refuse_change();
alter table service_records enable always trigger service_records_guard;
alter table service_records enable always trigger service_records_no_truncate;

---------------------------------------------------------------------------------------------------
-- Many ledger requests in one round trip: each element goes through ledger_apply, the ledger's one
-- write path, in array order inside the caller's transaction. The caller mints the transaction ids,
-- so only the count comes back.

create function ledger_apply_batch(p jsonb) returns integer
  language plpgsql
  as $$
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
  $$;
