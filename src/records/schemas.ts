import { z } from '../http/openapi.js';
import { RuleKindSchema } from '../activitytypes/schemas.js';

/** Rows in one bulk entry or one bulk decision: 1 to 1,000, as the HTTP contract says. */
export const batchSizeMax = 1000;
export const unitsMax = 1000;
/** The longest activity (31 days) in minutes; the activity's own length is the real cap. */
export const minutesMax = 31 * 24 * 60;

const minutes = z.number().int().min(0).max(minutesMax).openapi({ description: "Minutes served; at most the activity's length", example: 120 });
const units = z.number().int().min(0).max(unitsMax).openapi({ description: 'Units of service (e.g. haircuts given), for per_unit rules', example: 0 });

export const BulkRecordsBody = z
  .strictObject({
    records: z
      .array(z.strictObject({ volunteerId: z.string().uuid(), minutes, units: units.optional() }))
      .min(1)
      .max(batchSizeMax),
  })
  .openapi('BulkRecordsRequest');

export const RecordedSchema = z
  .object({
    id: z.string().uuid(),
    volunteerId: z.string().uuid(),
    minutes: z.number().int(),
    units: z.number().int(),
    points: z.number().int(),
    transactionId: z.string().uuid().nullable().openapi({ description: 'The award; null when the record is worth 0 points' }),
  })
  .openapi('RecordedService');

export const BulkRecordsResponse = z.object({ records: z.array(RecordedSchema) }).openapi('BulkRecordsResponse');

export const CheckInBody = z.strictObject({ code: z.string().regex(/^[0-9]{6}$/, 'six digits').openapi({ example: '042917' }) }).openapi('CheckIn');
export const CheckOutBody = z
  .strictObject({ code: z.string().regex(/^[0-9]{6}$/, 'six digits'), units: units.optional() })
  .openapi('CheckOut');

export const DecisionBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() }).openapi('RecordDecision');
export const BulkDecisionBody = z
  .strictObject({
    recordIds: z.array(z.string().uuid()).min(1).max(batchSizeMax),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .openapi('BulkRecordDecision');

export const CorrectionBody = z
  .strictObject({
    minutes: minutes.optional(),
    units: units.optional(),
    reason: z.string().trim().min(1).max(500).openapi({ example: 'left at 11:00, not 12:00' }),
  })
  .refine((b) => b.minutes !== undefined || b.units !== undefined, { message: 'give minutes, units or both', path: ['minutes'] })
  .openapi('RecordCorrection');

export const RecordStatusSchema = z.enum(['checked_in', 'pending', 'approved', 'rejected']).openapi({
  description: 'checked_in: awaiting check-out; pending: awaiting approval; approved: counts toward hours and points; rejected: never counts',
});

const actorRef = z.object({ role: z.string(), id: z.string() });

export const RecordVersionSchema = z
  .object({
    version: z.number().int(),
    kind: z.enum(['recorded', 'checked_in', 'checked_out', 'approved', 'rejected', 'corrected']),
    minutes: z.number().int(),
    units: z.number().int(),
    points: z.number().int().openapi({ description: 'What the record is worth as of this version' }),
    credited: z.number().int().openapi({ description: 'Points this version moved through the ledger (negative for a downward correction)' }),
    transactionId: z.string().uuid().nullable(),
    reason: z.string().nullable(),
    actor: actorRef,
    createdAt: z.string().datetime(),
  })
  .openapi('ServiceRecordVersion');

export const ServiceRecordSchema = z
  .object({
    id: z.string().uuid(),
    activityId: z.string().uuid(),
    activityTitle: z.string(),
    typeCode: z.string(),
    volunteerId: z.string().uuid(),
    source: z.enum(['bulk_entry', 'check_in']),
    status: RecordStatusSchema,
    version: z.number().int(),
    minutes: z.number().int(),
    units: z.number().int(),
    points: z.number().int().openapi({ description: 'What the record is worth under its rule; credited only once approved' }),
    rule: z.object({ id: z.string().uuid(), version: z.number().int(), kind: RuleKindSchema, points: z.number().int() }),
    recordedBy: actorRef,
    decidedBy: actorRef.nullable(),
    decidedAt: z.string().datetime().nullable(),
    createdAt: z.string().datetime(),
    versions: z.array(RecordVersionSchema).optional().openapi({ description: 'The full history, oldest first (on single-record reads)' }),
  })
  .openapi('ServiceRecord');

export const ListRecordsQuery = z.object({
  status: RecordStatusSchema.optional().openapi({ param: { name: 'status', in: 'query' } }),
});

export const QueuedRecordSchema = ServiceRecordSchema.extend({
  volunteerName: z.string().nullable().openapi({ description: "The volunteer's name; null for an organiser when the volunteer is from outside its subtree" }),
}).openapi('QueuedServiceRecord');

export const ListManagedRecordsQuery = ListRecordsQuery.extend({
  orgUnitId: z.string().uuid().optional().openapi({ param: { name: 'orgUnitId', in: 'query' }, description: 'Only records of activities of this unit or below it' }),
  activityId: z.string().uuid().optional().openapi({ param: { name: 'activityId', in: 'query' }, description: 'Only records of this activity' }),
});

export const CertificateSchema = z
  .object({
    certificateNumber: z.string(),
    issuedAt: z.string().datetime(),
    certificate: z.string().openapi({ description: 'Compact JWS (typ jifen-certificate+jwt), verifiable with the keys at /.well-known/jwks.json' }),
  })
  .openapi('ServiceCertificate');

export type BulkRecordsInput = z.infer<typeof BulkRecordsBody>;
export type CorrectionInput = z.infer<typeof CorrectionBody>;
export type ServiceRecord = z.infer<typeof ServiceRecordSchema>;
