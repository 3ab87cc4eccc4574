import { expect } from 'vitest';
import type { TestApp } from './app.js';
import type { Factory } from './factories.js';
import { key } from './ledger.js';

/** What the service-record test files share. */

export const hour = 3_600_000;
/** An instant `offsetMs` from now, as the API takes it. */
export const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

export type Row = { volunteerId: string; minutes: number; units?: number };

/**
 * Helpers bound to a test file's app and factory. `file` is read at each call, so they can be made
 * at the top of a file, before useTestApp has started the app.
 */
export function recordHelpers(file: () => { app: TestApp; f: Factory }) {
  return {
    /** Bulk entry of hours at an activity (as an admin unless `token` says otherwise), under a fresh key unless given one or null. */
    record: (activityId: string, records: Row[], token = file().f.adminToken, idempotencyKey: string | null = key()) =>
      file().app.request('POST', `/v1/activities/${activityId}/records`, { token, body: { records }, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} }),

    async balance(volunteerId: string) {
      const { app, f } = file();
      const res = await app.request('GET', `/v1/volunteers/${volunteerId}/balance`, { token: f.adminToken });
      expect(res.status).toBe(200);
      return res.body as { balance: number; serviceMinutes: number; starLevel: number; lifetimeEarned: number };
    },

    async volunteers(unitId: string, n: number) {
      const { f } = file();
      const out: { id: string; name: string }[] = [];
      for (let i = 0; i < n; i += 25) out.push(...(await Promise.all(Array.from({ length: Math.min(25, n - i) }, () => f.volunteer(unitId)))));
      return out;
    },

    /** An activity that is running now, so volunteers can check in. */
    async running(unitId: string, rule: { kind: 'per_hour' | 'per_unit' | 'fixed'; points: number }) {
      const { app, f } = file();
      const type = await f.activityType(rule);
      const activity = await f.activity(unitId, type.code);
      const code = (await app.request('GET', `/v1/activities/${activity.id}/check-in-code`, { token: f.adminToken })).body.code as string;
      return { activity, code, type };
    },

    async checkedOut(activityId: string, code: string, volunteerId: string, units?: number) {
      const { app } = file();
      const token = await app.token('volunteer', volunteerId);
      const into = await app.request('POST', `/v1/activities/${activityId}/check-in`, { token, body: { code } });
      expect(into.status, JSON.stringify(into.body)).toBe(201);
      const out = await app.request('POST', `/v1/activities/${activityId}/check-out`, { token, body: { code, ...(units !== undefined ? { units } : {}) } });
      expect(out.status, JSON.stringify(out.body)).toBe(200);
      return out.body as { id: string; status: string; minutes: number; units: number; points: number };
    },
  };
}
