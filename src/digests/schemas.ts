import { pageQuery, z } from '../http/openapi.js';

export const DigestRecordSchema = z
  .object({
    id: z.string().uuid(),
    day: z.string().openapi({ description: 'The programme day it was recorded on (YYYY-MM-DD, programme time zone)', example: '2026-12-06' }),
    asOf: z.string().datetime().openapi({ description: 'The moment the digest covers: every ledger row made at or before it' }),
    digest: z.string().openapi({ description: 'sha256 (hex) over every account chain head as of `asOf`' }),
    accounts: z.number().int(),
    entries: z.number().int(),
    recordedBy: z.string(),
    recordedAt: z.string().datetime(),
  })
  .openapi('LedgerDigestRecord');

export const DigestCheckSchema = DigestRecordSchema.extend({
  recomputed: z.string().openapi({ description: 'The digest as of `asOf`, computed now from the ledger' }),
  matches: z.boolean().openapi({ description: 'false means a ledger row made at or before `asOf` has changed since the digest was recorded' }),
}).openapi('LedgerDigestCheck');

export const DigestListQuery = z.object(pageQuery);

export type DigestRecord = z.infer<typeof DigestRecordSchema>;
export type DigestCheck = z.infer<typeof DigestCheckSchema>;
