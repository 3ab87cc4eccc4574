-- The ledger digests the programme office records for the auditor, one per programme day. A digest
-- (ledger/digest.ts) is sha256 over every account's chain head as of a moment; recomputing it later
-- for the same moment must give the same text, or a row at or before that moment was altered. The
-- auditor also keeps each day's record outside the service (printed or exported): a copy kept here
-- lets the office re-check any day at a glance, the auditor's copy is the one an intruder cannot reach.
--
-- Like the ledger, the record only grows: ledger_refuse_change (0002) refuses updates, deletes and
-- truncation, and the triggers fire always, even under session_replication_role = replica.

create table ledger_digests (
  id uuid primary key,
  day date not null,
  as_of timestamptz not null,
  digest text not null,
  accounts bigint not null,
  entries bigint not null,
  recorded_by text not null,
  recorded_at timestamptz not null default now(),
  constraint ledger_digests_one_per_day unique (day),
  constraint ledger_digests_digest_hex check (digest ~ '^[0-9a-f]{64}$'),
  constraint ledger_digests_counts check (accounts >= 0 and entries >= 0),
  constraint ledger_digests_recorded_by check (length(recorded_by) between 1 and 200),
  constraint ledger_digests_as_of_past check (as_of <= recorded_at)
);

create index ledger_digests_recorded_idx on ledger_digests (day desc);

create trigger ledger_digests_append_only before update or delete on ledger_digests
  for each row execute function ledger_refuse_change();
create trigger ledger_digests_no_truncate before truncate on ledger_digests
  for each statement execute function ledger_refuse_change();
alter table ledger_digests enable always trigger ledger_digests_append_only;
alter table ledger_digests enable always trigger ledger_digests_no_truncate;
