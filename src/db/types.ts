import type { ColumnType, Generated, GeneratedAlways } from 'kysely';

/**
 * Table types, one interface per table in `sql/`. Columns with a database default are
 * `Generated`; timestamps are read as Date and written as Date or left to the default.
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
export type Status = 'active' | 'inactive';

export interface OrgUnitsTable {
  id: string;
  parent_id: string | null;
  name: string;
  path: string;
  depth: number;
  status: Generated<Status>;
  created_at: Timestamp;
  deactivated_at: NullableTimestamp;
}

export interface OrganisersTable {
  id: string;
  name: string;
  org_unit_id: string;
  status: Generated<Status>;
  created_at: Timestamp;
  deactivated_at: NullableTimestamp;
}

export interface VolunteersTable {
  id: string;
  name: string;
  phone: string | null;
  org_unit_id: string;
  service_minutes: Generated<number>;
  status: Generated<Status>;
  created_at: Timestamp;
  deactivated_at: NullableTimestamp;
}

export interface MerchantsTable {
  id: string;
  name: string;
  org_unit_id: string | null;
  status: Generated<Status>;
  created_at: Timestamp;
  deactivated_at: NullableTimestamp;
}

export type AccountKind = 'issuance' | 'volunteer' | 'held' | 'merchant' | 'payout';
export type TransactionKind = 'award' | 'correction' | 'adjustment' | 'reversal' | 'reserve' | 'settle' | 'release' | 'payout';

export interface AccountsTable {
  id: string;
  kind: AccountKind;
  owner_id: string | null;
  shard: Generated<number>;
  balance: Generated<number>;
  earned: Generated<number>;
  entry_count: Generated<number>;
  head_hash: Generated<Uint8Array>;
  prev_head_hash: Generated<Uint8Array>;
  created_at: Timestamp;
}

export interface LedgerTransactionsTable {
  id: string;
  kind: TransactionKind;
  memo: string | null;
  reference: string | null;
  actor_role: string;
  actor_id: string;
  reverses_id: string | null;
  created_at: Timestamp;
}

export interface LedgerPostingsTable {
  id: Generated<number>;
  transaction_id: string;
  account_id: string;
  seq: number;
  amount: number;
  balance_after: number;
  prev_hash: Uint8Array;
  hash: Uint8Array;
  created_at: Timestamp;
}

export interface IdempotencyKeysTable {
  caller: string;
  key: string;
  request_hash: string;
  response_status: number;
  response: unknown;
  created_at: Timestamp;
}

export type PointRuleKind = 'per_hour' | 'per_unit' | 'fixed';
export type ActivityStatus = 'open' | 'closed' | 'cancelled';
export type RecordSource = 'bulk_entry' | 'check_in';
export type RecordStatus = 'checked_in' | 'pending' | 'approved' | 'rejected';
export type RecordVersionKind = 'recorded' | 'checked_in' | 'checked_out' | 'approved' | 'rejected' | 'corrected';

export interface ActivityTypesTable {
  id: string;
  code: string;
  name: string;
  created_at: Timestamp;
}

export interface PointRulesTable {
  id: string;
  activity_type_id: string;
  version: number;
  kind: PointRuleKind;
  points: number;
  created_by: string;
  created_at: Timestamp;
}

export interface ActivitiesTable {
  id: string;
  title: string;
  activity_type_id: string;
  point_rule_id: string;
  org_unit_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  place: string | null;
  capacity: number | null;
  signed_up: Generated<number>;
  status: Generated<ActivityStatus>;
  /** The secret the rotating check-in code is derived from (activities/checkincode.ts); never shown. */
  check_in_secret: Uint8Array;
  created_by_role: string;
  created_by_id: string;
  created_at: Timestamp;
}

export interface ActivitySignupsTable {
  activity_id: string;
  volunteer_id: string;
  status: 'signed_up' | 'withdrawn';
  signed_up_at: Timestamp;
  withdrawn_at: NullableTimestamp;
}

export interface CheckInFailuresTable {
  activity_id: string;
  volunteer_id: string;
  failures: number;
}

export interface ServiceRecordsTable {
  id: string;
  activity_id: string;
  volunteer_id: string;
  point_rule_id: string;
  source: RecordSource;
  status: RecordStatus;
  current_version: number;
  recorded_by_role: string;
  recorded_by_id: string;
  decided_by_role: string | null;
  decided_by_id: string | null;
  decided_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface ServiceRecordVersionsTable {
  record_id: string;
  version: number;
  kind: RecordVersionKind;
  minutes: number;
  units: number;
  points: number;
  credited: Generated<number>;
  transaction_id: string | null;
  reason: string | null;
  actor_role: string;
  actor_id: string;
  created_at: Timestamp;
}

export interface CertificatesTable {
  number: Generated<number>;
  volunteer_id: string;
  service_minutes: number;
  star_level: number;
  issued_by_role: string;
  issued_by_id: string;
  issued_at: Timestamp;
  /** A digest of what the certificate says; the latest issue is handed out again while it is unchanged. */
  content_digest: string | null;
}

export type PackStatus = 'active' | 'paused' | 'retired';
export type RedemptionStatus = 'issued' | 'redeemed' | 'cancelled' | 'expired';

export interface PacksTable {
  id: string;
  merchant_id: string;
  title: string;
  description: string | null;
  points: number;
  stock_initial: number | null;
  stock_left: number | null;
  claimed: Generated<number>;
  per_volunteer_limit: number | null;
  valid_from: NullableTimestamp;
  valid_until: NullableTimestamp;
  min_star_level: number | null;
  status: Generated<PackStatus>;
  created_by_role: string;
  created_by_id: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RedemptionsTable {
  id: string;
  pack_id: string;
  merchant_id: string;
  volunteer_id: string;
  points: number;
  status: Generated<RedemptionStatus>;
  issued_at: Timestamp;
  expires_at: Timestamp;
  token: string;
  kid: string;
  reserve_transaction_id: string;
  resolved_at: NullableTimestamp;
  resolved_by_role: string | null;
  resolved_by_id: string | null;
  resolve_transaction_id: string | null;
  /** Derived from the token by the database (sql/0017_redemption_short_codes.sql). */
  short_code: GeneratedAlways<string>;
}

export interface SettlementsTable {
  id: string;
  merchant_id: string;
  points: number;
  reference: string;
  transaction_id: string;
  actor_role: string;
  actor_id: string;
  created_at: Timestamp;
}

export interface LedgerDigestsTable {
  id: string;
  /** The programme day (in its time zone) the digest was recorded on; read as text (YYYY-MM-DD). */
  day: ColumnType<string, string, never>;
  as_of: Timestamp;
  digest: string;
  accounts: number;
  entries: number;
  recorded_by: string;
  recorded_at: Timestamp;
}

export type WishStatus = 'open' | 'taken' | 'done' | 'confirmed' | 'cancelled' | 'expired';
export type WishCategoryStatus = 'active' | 'retired';
export type VolunteerPostKind = 'building_chief' | 'unit_chief' | 'block_chief' | 'grid_worker';

export interface WishCategoriesTable {
  id: string;
  code: string;
  name: string;
  points: number;
  status: Generated<WishCategoryStatus>;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface VolunteerPostsTable {
  id: string;
  volunteer_id: string;
  org_unit_id: string;
  kind: VolunteerPostKind;
  assigned_by_role: string;
  assigned_by_id: string;
  assigned_at: Timestamp;
  ended_at: NullableTimestamp;
  ended_by_role: string | null;
  ended_by_id: string | null;
}

export interface WishesTable {
  id: string;
  org_unit_id: string;
  category_id: string;
  title: string;
  details: string | null;
  needed_by: NullableTimestamp;
  status: Generated<WishStatus>;
  version: Generated<number>;
  posted_by_role: string;
  posted_by_id: string;
  poster_volunteer_id: string | null;
  on_behalf_name: string | null;
  on_behalf_contact: string | null;
  priority_until: NullableTimestamp;
  taker_id: string | null;
  taken_at: NullableTimestamp;
  first_taken_at: NullableTimestamp;
  done_at: NullableTimestamp;
  closed_at: NullableTimestamp;
  points_awarded: number | null;
  award_transaction_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WishEventsTable {
  wish_id: string;
  version: number;
  from_status: WishStatus | null;
  to_status: WishStatus;
  taker_id: string | null;
  note: string | null;
  transaction_id: string | null;
  actor_role: string;
  actor_id: string;
  created_at: Timestamp;
}

export interface WishCountsTable {
  status: WishStatus;
  shard: number;
  n: number;
}

export type PrincipalRole = 'volunteer' | 'organiser' | 'merchant' | 'admin';

export interface SignInCodesTable {
  code_hash: string;
  role: PrincipalRole;
  principal_id: string;
  issued_by: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface SessionsTable {
  id: string;
  secret_hash: string;
  role: PrincipalRole;
  principal_id: string;
  device_label: string;
  method: 'code' | 'oidc';
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
}

export interface IdentityLinksTable {
  issuer: string;
  subject: string;
  role: PrincipalRole;
  principal_id: string;
  linked_by: 'registration' | 'sign_in_code';
  created_at: Timestamp;
}

export interface DB {
  accounts: AccountsTable;
  ledger_transactions: LedgerTransactionsTable;
  ledger_postings: LedgerPostingsTable;
  idempotency_keys: IdempotencyKeysTable;
  org_units: OrgUnitsTable;
  organisers: OrganisersTable;
  volunteers: VolunteersTable;
  merchants: MerchantsTable;
  activity_types: ActivityTypesTable;
  point_rules: PointRulesTable;
  activities: ActivitiesTable;
  activity_signups: ActivitySignupsTable;
  check_in_failures: CheckInFailuresTable;
  service_records: ServiceRecordsTable;
  service_record_versions: ServiceRecordVersionsTable;
  certificates: CertificatesTable;
  packs: PacksTable;
  redemptions: RedemptionsTable;
  settlements: SettlementsTable;
  ledger_digests: LedgerDigestsTable;
  wish_categories: WishCategoriesTable;
  volunteer_posts: VolunteerPostsTable;
  wishes: WishesTable;
  wish_events: WishEventsTable;
  wish_counts: WishCountsTable;
  sign_in_codes: SignInCodesTable;
  sessions: SessionsTable;
  identity_links: IdentityLinksTable;
}
