import { z } from '../http/openapi.js';

/** Rows per keyset query when a report streams: big enough to amortise a round trip, small enough to keep memory flat. */
export const exportBatchRows = 2000;
export const leaderboardLimitMax = 100;
/** Longest date range a statement or export may span. */
export const rangeDaysMax = 3700;

const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((text) => {
    const [y, m, d] = text.split('-').map(Number) as [number, number, number];
    const date = new Date(Date.UTC(y, m - 1, d));
    return y >= 2000 && y <= 2999 && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  }, 'not a calendar date between 2000 and 2999');

export const FormatSchema = z.enum(['json', 'csv']).openapi({
  description: 'json (default) or csv (UTF-8 with a byte order mark, RFC 4180). `Accept: text/csv` also selects CSV.',
});

const format = FormatSchema.optional().openapi({ param: { name: 'format', in: 'query' } });

export const PeriodKindSchema = z.enum(['month', 'quarter', 'year']);

const periodQuery = {
  period: PeriodKindSchema.default('month').openapi({ param: { name: 'period', in: 'query' }, description: 'Calendar month, quarter or year in the programme time zone' }),
  at: isoDay.optional().openapi({ param: { name: 'at', in: 'query' }, description: 'Any day inside the period (programme time zone); default today', example: '2025-01-31' }),
};

const rangeQuery = {
  from: isoDay.optional().openapi({ param: { name: 'from', in: 'query' }, description: 'First day, inclusive, in the programme time zone; default the first of this month', example: '2025-01-01' }),
  to: isoDay.optional().openapi({ param: { name: 'to', in: 'query' }, description: 'Last day, inclusive, in the programme time zone; default today', example: '2025-01-31' }),
};

const orgUnitQuery = {
  orgUnitId: z.string().uuid().optional().openapi({
    param: { name: 'orgUnitId', in: 'query' },
    description: "The unit whose whole subtree is reported. Default: the whole programme (admins), the organiser's own unit, the volunteer's own unit.",
  }),
};

export const LeaderboardQuery = z.object({
  ...orgUnitQuery,
  ...periodQuery,
  by: z.enum(['hours', 'points']).default('hours').openapi({ param: { name: 'by', in: 'query' } }),
  limit: z.coerce.number().int().min(1).max(leaderboardLimitMax).default(10).openapi({ param: { name: 'limit', in: 'query' } }),
  format,
});

export const SummaryQuery = z.object({ ...orgUnitQuery, ...periodQuery, format });
export const RangeQuery = z.object({ ...rangeQuery, format });
export const FormatQuery = z.object({ format });

export const PeriodSchema = z
  .object({
    kind: z.enum(['month', 'quarter', 'year', 'range']),
    label: z.string().openapi({ example: '2025-01' }),
    firstDay: z.string().openapi({ example: '2025-01-01' }),
    lastDay: z.string().openapi({ example: '2025-01-31' }),
    timeZone: z.string().openapi({ example: 'Asia/Shanghai' }),
    from: z.string().datetime().openapi({ description: 'Start instant, inclusive (UTC)' }),
    to: z.string().datetime().openapi({ description: 'End instant, exclusive (UTC)' }),
  })
  .openapi('ReportPeriod');

const LeaderboardEntrySchema = z
  .object({
    rank: z.number().int().openapi({ description: 'Competition rank (1, 2, 2, 4) by the chosen measure' }),
    volunteerId: z.string().uuid(),
    name: z.string(),
    orgUnitId: z.string().uuid(),
    minutes: z.number().int().openapi({ description: 'Approved service minutes at activities that started in the period' }),
    hours: z.number().openapi({ description: 'minutes / 60, rounded down to the hundredth (the rule certificates use too)' }),
    points: z.number().int().openapi({ description: 'Points earned in the period: awards and record corrections, net of their reversals (adjustments excluded)' }),
  })
  .openapi('LeaderboardEntry');

export const LeaderboardSchema = z
  .object({
    orgUnitId: z.string().uuid().nullable(),
    by: z.enum(['hours', 'points']),
    period: PeriodSchema,
    ranked: z.number().int().openapi({ description: 'Volunteers in the subtree with more than zero of the measure' }),
    items: z.array(LeaderboardEntrySchema).openapi({ description: 'The top `limit` (empty for a volunteer caller, who sees only `me`)' }),
    me: z
      .object({ rank: z.number().int().nullable(), minutes: z.number().int(), hours: z.number(), points: z.number().int() })
      .nullable()
      .openapi({ description: "The calling volunteer's own standing (rank null with nothing to rank); null for other callers" }),
  })
  .openapi('Leaderboard');

export const SummarySchema = z
  .object({
    orgUnitId: z.string().uuid().nullable(),
    period: PeriodSchema,
    volunteers: z.object({
      registered: z.number().int().openapi({ description: 'Volunteers in the subtree registered before the period ended' }),
      active: z.number().int().openapi({ description: 'Volunteers in the subtree with approved service at an activity that started in the period' }),
      new: z.number().int().openapi({ description: 'Volunteers in the subtree registered in the period' }),
    }),
    activitiesHeld: z.number().int().openapi({ description: 'Activities of units in the subtree that started in the period and were not cancelled' }),
    hoursByType: z.array(
      z.object({ typeCode: z.string(), typeName: z.string(), minutes: z.number().int(), hours: z.number(), records: z.number().int(), volunteers: z.number().int() }),
    ).openapi({ description: "Approved service of the subtree's volunteers at activities that started in the period, by activity type" }),
    points: z
      .object({
        issued: z.number().int().openapi({ description: "Points issued to the subtree's volunteers in the period: awards, corrections and adjustments, net of reversals" }),
        redeemed: z.number().int().openapi({ description: 'Points settled to merchants for redemptions in the period' }),
        expired: z.number().int().openapi({
          description:
            'Points that left volunteers in the period other than by redemption or reversal. Points never expire in this programme, so this is 0; a claim whose redemption code expired releases its points back to the volunteer (see claimsExpired), which changes nothing owed.',
        }),
        opening: z.number().int().openapi({ description: 'Outstanding when the period began' }),
        outstanding: z.number().int().openapi({ description: "The programme's liability at the end of the period (or now): spendable + held. opening + issued - redeemed - expired = outstanding" }),
        held: z.number().int().openapi({ description: 'Part of outstanding reserved by unredeemed claims at the end of the period' }),
        toDate: z
          .object({ issued: z.number().int(), redeemed: z.number().int(), expired: z.number().int() })
          .openapi({ description: 'Since the programme began, to the end of the period: issued - redeemed - expired = outstanding' }),
      })
      .openapi({ description: "From the ledger postings of the subtree's volunteers' accounts" }),
    claimsExpired: z.object({ count: z.number().int(), points: z.number().int() }).openapi({ description: "Claims by the subtree's volunteers that expired unredeemed in the period, and the points they released back" }),
    redemptions: z
      .array(z.object({ merchantId: z.string().uuid(), merchantName: z.string(), packId: z.string().uuid(), packTitle: z.string(), count: z.number().int(), points: z.number().int() }))
      .openapi({ description: "Redemptions by the subtree's volunteers in the period, by merchant and pack; their points add up to points.redeemed" }),
  })
  .openapi('ProgrammeSummary');

const ParticipantSchema = z
  .object({
    volunteerId: z.string().uuid(),
    name: z.string(),
    orgUnitId: z.string().uuid(),
    signup: z.enum(['signed_up', 'withdrawn']).nullable(),
    recordId: z.string().uuid().nullable(),
    recordStatus: z.enum(['checked_in', 'pending', 'approved', 'rejected']).nullable(),
    minutes: z.number().int(),
    units: z.number().int(),
    points: z.number().int().openapi({ description: "The record's points by the activity's rule (awarded only once approved)" }),
    pointsCredited: z.number().int().openapi({ description: 'Points this record has moved through the ledger, net of corrections' }),
  })
  .openapi('ActivityParticipant');

export const ActivityReportSchema = z
  .object({
    activity: z.object({ id: z.string().uuid(), title: z.string(), typeCode: z.string(), orgUnitId: z.string().uuid(), startsAt: z.string().datetime(), endsAt: z.string().datetime(), status: z.string() }),
    totals: z.object({
      signedUp: z.number().int(),
      records: z.number().int(),
      approved: z.number().int(),
      pendingApprovals: z.number().int().openapi({ description: 'Records waiting for a decision: checked out (pending) or still checked in' }),
      rejected: z.number().int(),
      approvedMinutes: z.number().int(),
      pointsCredited: z.number().int(),
    }),
    participantsOutsideScope: z.number().int().openapi({ description: "For an organiser: participants from outside its subtree, counted in totals but not listed" }),
    items: z.array(ParticipantSchema),
  })
  .openapi('ActivityReport');

const StatementLineSchema = z
  .object({
    seq: z.number().int(),
    transactionId: z.string().uuid(),
    createdAt: z.string().datetime(),
    localTime: z.string().openapi({ description: 'The same moment in the programme time zone, for print', example: '2025-01-31 23:30' }),
    kind: z.string(),
    memo: z.string().nullable(),
    reference: z.string().nullable(),
    amount: z.number().int(),
    balanceAfter: z.number().int(),
  })
  .openapi('StatementLine');

export const VolunteerStatementSchema = z
  .object({
    programme: z.string(),
    volunteer: z.object({ id: z.string().uuid(), name: z.string(), orgUnitId: z.string().uuid(), orgUnitName: z.string() }),
    period: PeriodSchema,
    openingBalance: z.number().int().openapi({ description: 'Spendable balance when the period began' }),
    credits: z.number().int(),
    debits: z.number().int().openapi({ description: 'Sum of negative lines (a negative number)' }),
    closingBalance: z.number().int().openapi({ description: 'openingBalance + credits + debits' }),
    heldAtClose: z.number().int().openapi({ description: 'Reserved by unredeemed claims at the end of the period' }),
    entries: z.number().int(),
    serviceMinutesInPeriod: z.number().int(),
    serviceMinutesToDate: z.number().int().openapi({ description: 'Approved minutes at activities that started before the period ended' }),
    starLevel: z.number().int().min(0).max(5).openapi({ description: 'From serviceMinutesToDate' }),
    items: z.array(StatementLineSchema),
  })
  .openapi('VolunteerStatement');

const MerchantLineSchema = z
  .object({
    seq: z.number().int(),
    transactionId: z.string().uuid(),
    createdAt: z.string().datetime(),
    kind: z.enum(['redemption', 'settlement', 'other']),
    redemptionId: z.string().uuid().nullable(),
    packId: z.string().uuid().nullable(),
    packTitle: z.string().nullable(),
    points: z.number().int().openapi({ description: 'Positive for a redemption (owed to the merchant), negative for a settlement (paid)' }),
    owedAfter: z.number().int(),
    reference: z.string().nullable(),
  })
  .openapi('MerchantStatementLine');

export const MerchantStatementSchema = z
  .object({
    programme: z.string(),
    merchant: z.object({ id: z.string().uuid(), name: z.string() }),
    period: PeriodSchema,
    openingOwed: z.number().int(),
    redemptions: z.object({ count: z.number().int(), points: z.number().int() }),
    settlements: z.object({ count: z.number().int(), points: z.number().int().openapi({ description: 'Points settled (paid) in the period, as a positive number' }) }),
    closingOwed: z.number().int().openapi({ description: 'Still owed at the end of the period: openingOwed + redemptions.points - settlements.points' }),
    items: z.array(MerchantLineSchema),
  })
  .openapi('MerchantStatement');

const ExportLineSchema = z
  .object({
    postingId: z.number().int(),
    transactionId: z.string().uuid(),
    createdAt: z.string().openapi({ description: 'Transaction time, UTC, to the microsecond' }),
    kind: z.string(),
    accountId: z.string().uuid(),
    accountKind: z.string(),
    ownerId: z.string().uuid().nullable(),
    seq: z.number().int(),
    amount: z.number().int(),
    balanceAfter: z.number().int(),
    reversesTransactionId: z.string().uuid().nullable(),
    reference: z.string().nullable(),
    memo: z.string().nullable(),
  })
  .openapi('LedgerExportLine');

export const LedgerExportSchema = z
  .object({ period: PeriodSchema, items: z.array(ExportLineSchema) })
  .openapi('LedgerExport');

export type PeriodKind = z.infer<typeof PeriodKindSchema>;
export type Period = z.infer<typeof PeriodSchema>;
export type Leaderboard = z.infer<typeof LeaderboardSchema>;
export type LeaderboardEntry = Leaderboard['items'][number];
export type Summary = z.infer<typeof SummarySchema>;
export type ActivityReport = z.infer<typeof ActivityReportSchema>;
export type Participant = ActivityReport['items'][number];
export type VolunteerStatement = z.infer<typeof VolunteerStatementSchema>;
export type StatementLine = VolunteerStatement['items'][number];
export type MerchantStatement = z.infer<typeof MerchantStatementSchema>;
export type MerchantLine = MerchantStatement['items'][number];
export type ExportLine = z.infer<typeof ExportLineSchema>;
