import type { Actor } from '../auth/actor.js';
import { loadManagedActivity, minutesMax } from '../activities/service.js';
import type { ServiceDeps } from '../deps.js';
import { forbidden, validationFailed } from '../errors.js';
import { matchVolunteers } from '../volunteers/match.js';
import type { MatchReason } from '../volunteers/schemas.js';
import { idempotencyScope } from '../writes/idempotency.js';
import { recordBatch } from './entry.js';
import { existingRecordVolunteers } from './repository.js';
import type { ParsedSheet, SheetRowProblem } from './sheet.js';

/**
 * Hours from a sheet, as the desk enters them: every row is first matched to a volunteer (or told
 * why not), then the whole sheet is entered at once through the bulk entry, under the caller's
 * Idempotency-Key. Nothing is written while any row has a problem.
 */

export type SheetRowReason = SheetRowProblem | MatchReason | 'already_recorded';

export interface PreviewRow {
  line: number;
  name?: string | undefined;
  phone?: string | undefined;
  id?: string | undefined;
  minutes?: number | undefined;
  units?: number | undefined;
  volunteer: { id: string; name: string } | null;
  /** Why the row cannot be entered, or null; `duplicateOfLine` names the earlier row for a duplicate. */
  reason: SheetRowReason | null;
  duplicateOfLine?: number | undefined;
}

export interface SheetPreview {
  activityId: string;
  rows: PreviewRow[];
  bad: number;
}

/**
 * Matches a parsed sheet's rows at an activity the actor manages: the sheet's own problems first
 * (no person, no time, a bad number, longer than the activity), then who each row means
 * (volunteers/match.ts), then whether that volunteer already has a record there. Reads only.
 */
export async function previewSheet(deps: ServiceDeps, actor: Actor, activityId: string, sheet: ParsedSheet): Promise<SheetPreview> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers enter hours');
  const activity = await loadManagedActivity(deps.db, actor, activityId);
  const cap = minutesMax(activity);
  const rows: PreviewRow[] = sheet.rows.map((r) => ({ line: r.line, name: r.name, phone: r.phone, id: r.id, minutes: r.minutes, units: r.units, volunteer: null, reason: r.problems[0] ?? null }));
  for (const row of rows) if (row.reason === null && (row.minutes ?? 0) > cap) row.reason = 'too_long';
  const toMatch = rows.filter((r) => r.name || r.phone || r.id);
  if (toMatch.length > 0) {
    const matched = await matchVolunteers(deps, actor, toMatch.map((r) => ({ id: r.id, name: r.name, phone: r.phone })), { activityId });
    matched.rows.forEach((m, i) => {
      const row = toMatch[i]!;
      if (m.volunteer) row.volunteer = { id: m.volunteer.id, name: m.volunteer.name };
      if (row.reason === null && m.reason !== null) {
        row.reason = m.reason;
        if (m.duplicateOf !== undefined) row.duplicateOfLine = toMatch[m.duplicateOf]?.line;
      }
    });
  }
  const matchedIds = rows.flatMap((r) => (r.volunteer ? [r.volunteer.id] : []));
  const recorded = await existingRecordVolunteers(deps.db, activityId, matchedIds);
  for (const row of rows) if (row.reason === null && row.volunteer && recorded.has(row.volunteer.id)) row.reason = 'already_recorded';
  return { activityId, rows, bad: rows.filter((r) => r.reason !== null).length };
}

/**
 * Enters a sheet's hours, all or nothing: the sheet is matched again (people may have changed since
 * the preview), any row with a problem refuses the whole sheet (validation_failed naming each row's
 * line and reason, nothing written), and otherwise the rows go through recordBatch as one bulk
 * entry under the caller's Idempotency-Key, so a second submission of the same sheet with the same key answers
 * what the first did and writes nothing.
 */
export async function enterSheet(deps: ServiceDeps, actor: Actor, activityId: string, sheet: ParsedSheet, idempotencyKey: string | undefined) {
  const preview = await previewSheet(deps, actor, activityId, sheet);
  const bad = preview.rows.filter((r) => r.reason !== null);
  // A replay of an entry already made finds its rows "already recorded": recordBatch answers it from the stored response.
  const onlyAlreadyRecorded = bad.length > 0 && bad.length === preview.rows.length && bad.every((r) => r.reason === 'already_recorded');
  if (bad.length > 0 && !onlyAlreadyRecorded) {
    throw validationFailed(bad.map((r) => ({ path: `line.${r.line}`, message: r.reason ?? '' })), `${bad.length} row${bad.length === 1 ? '' : 's'} of the sheet cannot be entered; nothing was written`);
  }
  const body = { records: preview.rows.map((r) => ({ volunteerId: r.volunteer?.id ?? '', minutes: r.minutes ?? 0, ...(r.units !== undefined ? { units: r.units } : {}) })) };
  // Keyed exactly as the bulk entry route keys the same rows, so the two transports agree on a retry.
  const outcome = await recordBatch(deps, actor, activityId, body, idempotencyScope(actor, idempotencyKey, `records:${activityId}`, body, true));
  return { preview, replayed: outcome.replayed, recorded: outcome.body.records.length };
}
