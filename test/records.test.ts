import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { pointsFor } from '../src/records/points.js';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { key } from './support/ledger.js';
import { at, hour, recordHelpers, type Row } from './support/records.js';
import { useTestApp } from './support/setup.js';

/**
 * Service records as they are entered and decided: point rules, bulk entry, check-in and check-out,
 * approval and rejection. Corrections, a volunteer's history and certificates are in
 * records-history.test.ts.
 */

let app: TestApp;
let f: Factory;

// Low star thresholds (hours) so a test can reach stars with a few records.
useTestApp({ env: { DB_POOL_MAX: '20', STAR_THRESHOLDS_HOURS: '1,2,3,4,5', PROGRAMME_NAME: '五里堆街道志愿服务' }, ledgerSound: true }, (started) => ({ app, f } = started));

const { record, balance, volunteers, running, checkedOut } = recordHelpers(() => ({ app, f }));

describe('point rules', () => {
  it('compute integer points, per_hour rounded down by the minute', () => {
    expect(pointsFor({ kind: 'per_hour', points: 10 }, 59, 0)).toBe(9);
    expect(pointsFor({ kind: 'per_hour', points: 10 }, 90, 0)).toBe(15);
    expect(pointsFor({ kind: 'per_hour', points: 7 }, 1, 0)).toBe(0);
    expect(pointsFor({ kind: 'per_hour', points: 1000 }, 44640, 0)).toBe(744000);
    expect(pointsFor({ kind: 'per_unit', points: 7 }, 300, 3)).toBe(21);
    expect(pointsFor({ kind: 'per_unit', points: 7 }, 300, 0)).toBe(0);
    expect(pointsFor({ kind: 'fixed', points: 12 }, 0, 0)).toBe(12);
    expect(pointsFor({ kind: 'fixed', points: 12 }, 500, 9)).toBe(12);
  });

  it('award the documented points over HTTP for each kind, and 0 points write no transaction', async () => {
    const unit = await f.orgUnit();
    const [a, b, c, d, e] = await volunteers(unit.id, 5);
    const perHour = await f.activityType({ kind: 'per_hour', points: 10 });
    const perUnit = await f.activityType({ kind: 'per_unit', points: 7 });
    const fixed = await f.activityType({ kind: 'fixed', points: 12 });
    const past = { startsAt: at(-5 * hour), endsAt: at(-2 * hour) };
    const h = await f.activity(unit.id, perHour.code, past);
    const res = await record(h.id, [
      { volunteerId: a!.id, minutes: 59 },
      { volunteerId: b!.id, minutes: 90 },
      { volunteerId: c!.id, minutes: 5 },
    ]);
    expect(res.status).toBe(201);
    expect(res.body.records.map((r: any) => [r.minutes, r.units, r.points])).toEqual([
      [59, 0, 9],
      [90, 0, 15],
      [5, 0, 0],
    ]);
    expect(res.body.records[2].transactionId).toBeNull();
    expect(res.body.records[0].transactionId).toMatch(/^[0-9a-f-]{36}$/);
    const u = await f.activity(unit.id, perUnit.code, past);
    const unitRes = await record(u.id, [{ volunteerId: d!.id, minutes: 30, units: 3 }]);
    expect(unitRes.body.records[0]).toMatchObject({ minutes: 30, units: 3, points: 21 });
    const x = await f.activity(unit.id, fixed.code, past);
    const fixedRes = await record(x.id, [{ volunteerId: e!.id, minutes: 10 }]);
    expect(fixedRes.body.records[0]).toMatchObject({ points: 12 });
    expect(await balance(a!.id)).toMatchObject({ balance: 9, lifetimeEarned: 9, serviceMinutes: 59, starLevel: 0 });
    expect(await balance(b!.id)).toMatchObject({ balance: 15, serviceMinutes: 90, starLevel: 1 });
    expect(await balance(c!.id)).toMatchObject({ balance: 0, serviceMinutes: 5 });
    expect((await balance(d!.id)).balance).toBe(21);
    expect((await balance(e!.id)).balance).toBe(12);
    const statement = await app.request('GET', `/v1/volunteers/${a!.id}/ledger`, { token: f.adminToken });
    expect(statement.body.items).toEqual([expect.objectContaining({ kind: 'award', amount: 9, reference: res.body.records[0].id })]);
  });

  it("cap minutes at the activity's length, rounded up to a whole minute", async () => {
    const unit = await f.orgUnit();
    const [a, b] = await volunteers(unit.id, 2);
    const type = await f.activityType({ kind: 'per_hour', points: 60 });
    const start = Date.now() - 5 * hour;
    const activity = await f.activity(unit.id, type.code, { startsAt: new Date(start).toISOString(), endsAt: new Date(start + 90 * 60_000 + 30_000).toISOString() });
    expect(activity.minutesMax).toBe(91);
    const over = await record(activity.id, [
      { volunteerId: a!.id, minutes: 91 },
      { volunteerId: b!.id, minutes: 92 },
    ]);
    expect(over.status).toBe(400);
    expect(over.body.errors).toEqual([{ path: 'records.1.minutes', message: expect.stringContaining('91') }]);
    const ok = await record(activity.id, [{ volunteerId: a!.id, minutes: 91 }]);
    expect(ok.status).toBe(201);
    expect(ok.body.records[0].points).toBe(91);
  });
});

describe('bulk entry', () => {
  it('records 1,000 rows as 1,000 awards in one database transaction, and a retry replays', async () => {
    const unit = await f.orgUnit();
    const people = await volunteers(unit.id, 1000);
    const type = await f.activityType({ kind: 'per_hour', points: 10 });
    const activity = await f.activity(unit.id, type.code, { startsAt: at(-6 * hour), endsAt: at(-hour) });
    const rows = people.map((p, i) => ({ volunteerId: p.id, minutes: 60 + (i % 240) }));
    const k = key();
    const res = await record(activity.id, rows, f.adminToken, k);
    expect(res.status).toBe(201);
    expect(res.body.records).toHaveLength(1000);
    res.body.records.forEach((r: any, i: number) => {
      expect(r).toMatchObject({ volunteerId: rows[i]!.volunteerId, minutes: rows[i]!.minutes, units: 0, points: Math.floor((rows[i]!.minutes * 10) / 60) });
    });
    const txIds: string[] = res.body.records.map((r: any) => r.transactionId);
    expect(new Set(txIds).size).toBe(1000);
    // now() is fixed for a database transaction's life, so one shared timestamp means one transaction.
    const stamps = await app.deps.db
      .selectFrom('ledger_transactions')
      .select([sql<number>`count(*)::bigint`.as('n'), sql<number>`count(distinct created_at)::bigint`.as('stamps')])
      .where('id', 'in', txIds)
      .where('kind', '=', 'award')
      .executeTakeFirstOrThrow();
    expect(stamps).toEqual({ n: 1000, stamps: 1 });
    expect(await balance(people[7]!.id)).toMatchObject({ balance: Math.floor((rows[7]!.minutes * 10) / 60), serviceMinutes: rows[7]!.minutes });

    const again = await record(activity.id, rows, f.adminToken, k);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(res.body);
    expect((await balance(people[7]!.id)).serviceMinutes).toBe(rows[7]!.minutes);
    const reused = await record(activity.id, rows.slice(1), f.adminToken, k);
    expect(reused.status).toBe(422);
    const dup = await record(activity.id, [rows[3]!], f.adminToken);
    expect(dup.status).toBe(409);
    expect(dup.body.errors).toEqual([{ path: 'records.0.volunteerId', message: 'already has a record for this activity' }]);
  });

  it('refuses the whole batch for one bad row, naming its index, and writes nothing', async () => {
    const { streetA, streetB } = await f.tree();
    const organiser = await f.organiser(streetA.id);
    const token = await app.token('organiser', organiser.id);
    const mine = await volunteers(streetA.id, 10);
    const outsider = await f.volunteer(streetB.id);
    const type = await f.activityType({ kind: 'per_hour', points: 10 });
    const activity = await f.activity(streetA.id, type.code, { startsAt: at(-3 * hour), endsAt: at(-hour) });
    const good = mine.map((v) => ({ volunteerId: v.id, minutes: 60 }));
    const cases: [string, Row[], string][] = [
      ['an unknown volunteer', good.map((r, i) => (i === 7 ? { ...r, volunteerId: '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f' } : r)), 'records.7.volunteerId'],
      ['minutes over the cap', good.map((r, i) => (i === 3 ? { ...r, minutes: 121 } : r)), 'records.3.minutes'],
      ['a volunteer outside the subtree', good.map((r, i) => (i === 5 ? { ...r, volunteerId: outsider.id } : r)), 'records.5.volunteerId'],
      ['the same volunteer twice', good.map((r, i) => (i === 9 ? { ...r, volunteerId: good[2]!.volunteerId } : r)), 'records.9.volunteerId'],
    ];
    for (const [label, rows, path] of cases) {
      const res = await record(activity.id, rows, token);
      expect(res.status, label).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: any) => e.path), label).toEqual([path]);
      expect(res.body.detail).toContain(path);
    }
    const bad = await record(activity.id, [{ volunteerId: mine[0]!.id, minutes: -1 }, { volunteerId: 'nope', minutes: 1.5 }, { volunteerId: mine[1]!.id, minutes: 1, extra: 1 } as Row], token);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.path)).toEqual(expect.arrayContaining(['records.0.minutes', 'records.1.volunteerId', 'records.1.minutes', 'records.2']));
    const listed = await app.request('GET', `/v1/activities/${activity.id}/records`, { token });
    expect(listed.body.items).toEqual([]);
    // Nothing reached the ledger for anyone in these batches. (Programme-wide totals would not do:
    // other test files write to the same database at the same time.)
    for (const v of [...mine, outsider]) expect(await balance(v.id)).toMatchObject({ balance: 0, serviceMinutes: 0 });
    expect((await record(activity.id, good, token)).status).toBe(201);
  });

  it('is for admins and organisers managing the activity, needs a key, and bounds the batch', async () => {
    const { streetA, streetB } = await f.tree();
    const v = await f.volunteer(streetA.id);
    const type = await f.activityType({ kind: 'fixed', points: 3 });
    const activity = await f.activity(streetA.id, type.code);
    const other = await f.organiser(streetB.id);
    expect((await record(activity.id, [{ volunteerId: v.id, minutes: 10 }], await app.token('organiser', other.id))).status).toBe(403);
    expect((await record(activity.id, [{ volunteerId: v.id, minutes: 10 }], await app.token('volunteer', v.id))).status).toBe(403);
    const noKey = await record(activity.id, [{ volunteerId: v.id, minutes: 10 }], f.adminToken, null);
    expect(noKey.status).toBe(400);
    expect(noKey.body.errors[0].path).toBe('header.Idempotency-Key');
    expect((await record('01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f', [{ volunteerId: v.id, minutes: 10 }])).status).toBe(404);
    expect((await record(activity.id, [])).status).toBe(400);
    const tooMany = await record(activity.id, Array.from({ length: 1001 }, () => ({ volunteerId: v.id, minutes: 1 })));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors[0].path).toBe('records');
    const future = await f.activity(streetA.id, type.code, { startsAt: at(hour), endsAt: at(2 * hour) });
    expect((await record(future.id, [{ volunteerId: v.id, minutes: 10 }])).status).toBe(409);
    expect(await balance(v.id)).toMatchObject({ balance: 0, serviceMinutes: 0 });
  });
});

describe('check-in and approval', () => {
  it('checks in and out with the code; the record is pending and counts only once approved', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const { activity, code } = await running(unit.id, { kind: 'per_unit', points: 5 });
    const token = await app.token('volunteer', v.id);
    const wrong = await app.request('POST', `/v1/activities/${activity.id}/check-in`, { token, body: { code: code === '000000' ? '000001' : '000000' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].path).toBe('code');
    const into = await app.request('POST', `/v1/activities/${activity.id}/check-in`, { token, body: { code } });
    expect(into.status).toBe(201);
    expect(into.body).toMatchObject({ status: 'checked_in', source: 'check_in', volunteerId: v.id, recordedBy: { role: 'volunteer', id: v.id } });
    expect((await app.request('POST', `/v1/activities/${activity.id}/check-in`, { token, body: { code } })).status).toBe(409);
    const out = await app.request('POST', `/v1/activities/${activity.id}/check-out`, { token, body: { code, units: 4 } });
    expect(out.status).toBe(200);
    expect(out.body).toMatchObject({ status: 'pending', units: 4, points: 20, minutes: 0 });
    expect(await balance(v.id)).toMatchObject({ balance: 0, serviceMinutes: 0 });
    const approved = await app.request('POST', `/v1/records/${out.body.id}/approve`, { token: f.adminToken });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', points: 20, decidedBy: { role: 'admin', id: 'test-admin' } });
    expect(await balance(v.id)).toMatchObject({ balance: 20, lifetimeEarned: 20 });
    const history = await app.request('GET', `/v1/records/${out.body.id}`, { token });
    expect(history.body.versions.map((x: any) => [x.kind, x.credited])).toEqual([
      ['checked_in', 0],
      ['checked_out', 0],
      ['approved', 20],
    ]);
    expect(history.body.versions[2].transactionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts the code only while the activity runs and locks out guessers', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const type = await f.activityType({ kind: 'fixed', points: 5 });
    const later = await f.activity(unit.id, type.code, { startsAt: at(hour), endsAt: at(2 * hour) });
    const code = (await app.request('GET', `/v1/activities/${later.id}/check-in-code`, { token: f.adminToken })).body.code;
    const token = await app.token('volunteer', v.id);
    expect((await app.request('POST', `/v1/activities/${later.id}/check-in`, { token, body: { code } })).status).toBe(409);
    const { activity, code: now } = await running(unit.id, { kind: 'fixed', points: 5 });
    const wrongCode = now === '123456' ? '654321' : '123456';
    for (let i = 0; i < 10; i++) expect((await app.request('POST', `/v1/activities/${activity.id}/check-in`, { token, body: { code: wrongCode } })).status).toBe(400);
    const locked = await app.request('POST', `/v1/activities/${activity.id}/check-in`, { token, body: { code: now } });
    expect(locked.status).toBe(429);
    expect((await app.request('POST', `/v1/activities/${activity.id}/check-in`, { token: f.adminToken, body: { code: now } })).status).toBe(403);
  });

  it('credits a record once under concurrent approvals', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const organiser = await f.organiser(unit.id);
    const { activity, code } = await running(unit.id, { kind: 'fixed', points: 12 });
    const pending = await checkedOut(activity.id, code, v.id);
    const tokens = [f.adminToken, await app.token('organiser', organiser.id)];
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => app.request('POST', `/v1/records/${pending.id}/approve`, { token: tokens[i % 2] })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await balance(v.id)).toMatchObject({ balance: 12 });
    const statement = await app.request('GET', `/v1/volunteers/${v.id}/ledger`, { token: f.adminToken });
    expect(statement.body.items).toHaveLength(1);
    const history = await app.request('GET', `/v1/records/${pending.id}`, { token: f.adminToken });
    expect(history.body.versions.filter((x: any) => x.kind === 'approved')).toHaveLength(1);
  });

  it('refuses to approve a record of a volunteer who has since been deactivated', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const { activity, code } = await running(unit.id, { kind: 'fixed', points: 4 });
    const pending = await checkedOut(activity.id, code, v.id);
    expect((await app.request('POST', `/v1/volunteers/${v.id}/deactivate`, { token: f.adminToken })).status).toBe(200);
    const res = await app.request('POST', `/v1/records/${pending.id}/approve`, { token: f.adminToken });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('inactive');
    expect(await balance(v.id)).toMatchObject({ balance: 0, serviceMinutes: 0 });
    expect((await app.request('POST', `/v1/records/${pending.id}/reject`, { token: f.adminToken })).status).toBe(200);
  });

  it('approves and rejects in bulk, all or nothing, naming a bad id by index', async () => {
    const unit = await f.orgUnit();
    const people = await volunteers(unit.id, 4);
    const { activity, code } = await running(unit.id, { kind: 'fixed', points: 8 });
    const recs = [];
    for (const p of people) recs.push(await checkedOut(activity.id, code, p.id));
    const otherActivity = await running(unit.id, { kind: 'fixed', points: 8 });
    const stranger = await checkedOut(otherActivity.activity.id, otherActivity.code, people[0]!.id);
    const path = `/v1/activities/${activity.id}/records`;
    const bad = await app.request('POST', `${path}/approve`, { token: f.adminToken, body: { recordIds: [recs[0]!.id, stranger.id] } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: 'recordIds.1', message: 'no such record at this activity' }]);
    expect((await balance(people[0]!.id)).balance).toBe(0);
    const rejected = await app.request('POST', `${path}/reject`, { token: f.adminToken, body: { recordIds: [recs[3]!.id], reason: 'not there' } });
    expect(rejected.status).toBe(200);
    expect(rejected.body.records[0].status).toBe('rejected');
    const mixed = await app.request('POST', `${path}/approve`, { token: f.adminToken, body: { recordIds: [recs[0]!.id, recs[3]!.id] } });
    expect(mixed.status).toBe(409);
    expect(mixed.body.errors[0].path).toBe('recordIds.1');
    expect((await balance(people[0]!.id)).balance).toBe(0);
    const k = key();
    const ok = await app.request('POST', `${path}/approve`, { token: f.adminToken, body: { recordIds: recs.slice(0, 3).map((r) => r.id) }, headers: { 'idempotency-key': k } });
    expect(ok.status).toBe(200);
    expect(ok.body.records.map((r: any) => r.status)).toEqual(['approved', 'approved', 'approved']);
    const replay = await app.request('POST', `${path}/approve`, { token: f.adminToken, body: { recordIds: recs.slice(0, 3).map((r) => r.id) }, headers: { 'idempotency-key': k } });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    for (const p of people.slice(0, 3)) expect((await balance(p.id)).balance).toBe(8);
    expect((await app.request('POST', `/v1/records/${recs[0]!.id}/reject`, { token: f.adminToken })).status).toBe(409);
    const listed = await app.request('GET', `${path}?status=approved`, { token: f.adminToken });
    expect(listed.body.items).toHaveLength(3);
  });

  it('never counts pending or rejected records toward hours, stars or points', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const a = await running(unit.id, { kind: 'per_hour', points: 60 });
    const b = await running(unit.id, { kind: 'per_hour', points: 60 });
    const pending = await checkedOut(a.activity.id, a.code, v.id);
    const toReject = await checkedOut(b.activity.id, b.code, v.id);
    // Corrections on records not yet approved change their minutes but move nothing.
    const c1 = await app.request('POST', `/v1/records/${pending.id}/corrections`, { token: f.adminToken, body: { minutes: 120, reason: 'forgot to check out' }, headers: { 'idempotency-key': key() } });
    expect(c1.status).toBe(201);
    expect(c1.body).toMatchObject({ status: 'pending', minutes: 120, points: 120 });
    expect(c1.body.versions.at(-1)).toMatchObject({ kind: 'corrected', credited: 0, transactionId: null });
    await app.request('POST', `/v1/records/${toReject.id}/corrections`, { token: f.adminToken, body: { minutes: 100, reason: 'r' }, headers: { 'idempotency-key': key() } });
    expect((await app.request('POST', `/v1/records/${toReject.id}/reject`, { token: f.adminToken, body: { reason: 'duplicate' } })).status).toBe(200);
    expect(await balance(v.id)).toEqual(expect.objectContaining({ balance: 0, lifetimeEarned: 0, serviceMinutes: 0, starLevel: 0 }));
    const cert = await app.request('GET', `/v1/volunteers/${v.id}/certificate`, { token: f.adminToken });
    const payload = JSON.parse(Buffer.from(cert.body.certificate.split('.')[1], 'base64url').toString());
    expect(payload).toMatchObject({ totalMinutes: 0, hoursByType: [], starLevel: 0 });
    const correctRejected = await app.request('POST', `/v1/records/${toReject.id}/corrections`, { token: f.adminToken, body: { minutes: 5, reason: 'r' }, headers: { 'idempotency-key': key() } });
    expect(correctRejected.status).toBe(409);
    expect((await app.request('POST', `/v1/records/${pending.id}/approve`, { token: f.adminToken })).status).toBe(200);
    expect(await balance(v.id)).toMatchObject({ balance: 120, serviceMinutes: 120, starLevel: 2 });
  });
});
