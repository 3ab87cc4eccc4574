import { describe, expect, it } from 'vitest';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';

let app: TestApp;
let f: Factory;

useTestApp({ env: { DB_POOL_MAX: '20' } }, (started) => ({ app, f } = started));

const hour = 3_600_000;
const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

describe('activity types', () => {
  it('are created by admins with version 1 of their rule and read by anyone', async () => {
    const code = `clean-${Date.now()}`;
    const res = await app.request('POST', '/v1/activity-types', { token: f.adminToken, body: { code, name: '社区清洁', rule: { kind: 'per_hour', points: 10 } } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ code, name: '社区清洁', rule: { version: 1, kind: 'per_hour', points: 10 } });
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const read = await app.request('GET', `/v1/activity-types/${code}`, { token: await app.token('volunteer', v.id) });
    expect(read.status).toBe(200);
    expect(read.body.rule.points).toBe(10);
    const dup = await app.request('POST', '/v1/activity-types', { token: f.adminToken, body: { code, name: 'again', rule: { kind: 'fixed', points: 1 } } });
    expect(dup.status).toBe(409);
  });

  it('refuse bad input and non-admins', async () => {
    const bad = await app.request('POST', '/v1/activity-types', { token: f.adminToken, body: { code: 'Bad Code', name: '', rule: { kind: 'per_day', points: 0 }, extra: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.path).sort()).toEqual(expect.arrayContaining(['code', 'name', 'rule.kind', 'rule.points']));
    const unit = await f.orgUnit();
    const organiser = await f.organiser(unit.id);
    const res = await app.request('POST', '/v1/activity-types', { token: await app.token('organiser', organiser.id), body: { code: `x-${Date.now()}`, name: 'x', rule: { kind: 'fixed', points: 1 } } });
    expect(res.status).toBe(403);
    expect((await app.request('GET', '/v1/activity-types/no-such-type', { token: f.adminToken })).status).toBe(404);
  });

  it('change rules by appending versions; existing activities keep theirs', async () => {
    const type = await f.activityType({ kind: 'per_hour', points: 10 });
    const unit = await f.orgUnit();
    const before = await f.activity(unit.id, type.code);
    const change = await app.request('POST', `/v1/activity-types/${type.code}/rules`, { token: f.adminToken, body: { kind: 'fixed', points: 25 } });
    expect(change.status).toBe(201);
    expect(change.body).toMatchObject({ version: 2, kind: 'fixed', points: 25 });
    const after = await f.activity(unit.id, type.code);
    const oldActivity = await app.request('GET', `/v1/activities/${before.id}`, { token: f.adminToken });
    expect(oldActivity.body.rule).toMatchObject({ version: 1, kind: 'per_hour', points: 10 });
    const newActivity = await app.request('GET', `/v1/activities/${after.id}`, { token: f.adminToken });
    expect(newActivity.body.rule).toMatchObject({ version: 2, kind: 'fixed', points: 25 });
    const history = await app.request('GET', `/v1/activity-types/${type.code}/rules`, { token: f.adminToken });
    expect(history.body.items.map((r: any) => r.version)).toEqual([2, 1]);
    const listed = await app.request('GET', '/v1/activity-types?limit=200', { token: f.adminToken });
    expect(listed.body.items.find((t: any) => t.code === type.code).rule.version).toBe(2);
  });

  it('page by code', async () => {
    for (let i = 0; i < 3; i++) await f.activityType({ kind: 'fixed', points: 1 });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await app.request('GET', `/v1/activity-types?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: f.adminToken });
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((t: any) => t.code));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe('activities', () => {
  it('are created by organisers inside their subtree only', async () => {
    const type = await f.activityType({ kind: 'per_hour', points: 10 });
    const { streetA, streetB, community } = await f.tree();
    const organiser = await f.organiser(streetA.id);
    const token = await app.token('organiser', organiser.id);
    const body = { title: '周末清洁', typeCode: type.code, orgUnitId: community.id, startsAt: at(hour), endsAt: at(3 * hour), capacity: 20, place: '活动中心' };
    const res = await app.request('POST', '/v1/activities', { token, body });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ title: '周末清洁', typeCode: type.code, orgUnitId: community.id, capacity: 20, signedUp: 0, status: 'open', minutesMax: 120, place: '活动中心' });
    expect(res.body).not.toHaveProperty('checkInCode');
    const outside = await app.request('POST', '/v1/activities', { token, body: { ...body, orgUnitId: streetB.id } });
    expect(outside.status).toBe(403);
    const v = await f.volunteer(streetA.id);
    expect((await app.request('POST', '/v1/activities', { token: await app.token('volunteer', v.id), body })).status).toBe(403);
  });

  it('refuse a bad window, an unknown type and unknown fields', async () => {
    const type = await f.activityType({ kind: 'fixed', points: 5 });
    const unit = await f.orgUnit();
    const base = { title: 't', typeCode: type.code, orgUnitId: unit.id, startsAt: at(hour), endsAt: at(2 * hour) };
    const backwards = await app.request('POST', '/v1/activities', { token: f.adminToken, body: { ...base, endsAt: at(0) } });
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors[0].path).toBe('endsAt');
    const tooLong = await app.request('POST', '/v1/activities', { token: f.adminToken, body: { ...base, endsAt: at(40 * 24 * hour) } });
    expect(tooLong.status).toBe(400);
    const unknownType = await app.request('POST', '/v1/activities', { token: f.adminToken, body: { ...base, typeCode: 'no-such-type' } });
    expect(unknownType.status).toBe(400);
    expect(unknownType.body.errors[0].path).toBe('typeCode');
    const extra = await app.request('POST', '/v1/activities', { token: f.adminToken, body: { ...base, colour: 'red' } });
    expect(extra.status).toBe(400);
    const missing = await app.request('GET', '/v1/activities/01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f', { token: f.adminToken });
    expect(missing.status).toBe(404);
  });

  it('list with filters by unit subtree, type and date range, paged by start time', async () => {
    const typeA = await f.activityType({ kind: 'fixed', points: 5 });
    const typeB = await f.activityType({ kind: 'fixed', points: 5 });
    const { district, streetA, streetB, community } = await f.tree();
    const base = Date.now() + 10 * 24 * hour;
    const mk = (unit: string, type: string, dayOffset: number) =>
      f.activity(unit, type, { startsAt: new Date(base + dayOffset * 24 * hour).toISOString(), endsAt: new Date(base + dayOffset * 24 * hour + hour).toISOString() });
    const a1 = await mk(community.id, typeA.code, 0);
    const a2 = await mk(streetA.id, typeB.code, 1);
    const a3 = await mk(streetB.id, typeA.code, 2);
    const a4 = await mk(community.id, typeA.code, 3);
    const v = await f.volunteer(district.id);
    const token = await app.token('volunteer', v.id);
    const ids = async (query: string) => {
      const out: string[] = [];
      let cursor: string | null = null;
      do {
        const res: any = await app.request('GET', `/v1/activities?limit=1&${query}${cursor ? `&cursor=${cursor}` : ''}`, { token });
        expect(res.status).toBe(200);
        out.push(...res.body.items.map((a: any) => a.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      return out;
    };
    expect(await ids(`orgUnitId=${district.id}`)).toEqual([a1.id, a2.id, a3.id, a4.id]);
    expect(await ids(`orgUnitId=${streetA.id}`)).toEqual([a1.id, a2.id, a4.id]);
    expect(await ids(`orgUnitId=${district.id}&typeCode=${typeA.code}`)).toEqual([a1.id, a3.id, a4.id]);
    const from = new Date(base + 12 * hour).toISOString();
    const to = new Date(base + 2 * 24 * hour + 12 * hour).toISOString();
    expect(await ids(`orgUnitId=${district.id}&from=${from}&to=${to}`)).toEqual([a2.id, a3.id]);
    const bad = await app.request('GET', '/v1/activities?cursor=bm9wZQ', { token });
    expect(bad.status).toBe(400);
  });

  it('close and cancel, by their managers only', async () => {
    const type = await f.activityType({ kind: 'fixed', points: 5 });
    const { streetA, streetB } = await f.tree();
    const mine = await f.activity(streetA.id, type.code, { startsAt: at(hour), endsAt: at(2 * hour) });
    const theirs = await f.activity(streetB.id, type.code, { startsAt: at(hour), endsAt: at(2 * hour) });
    const organiser = await f.organiser(streetA.id);
    const token = await app.token('organiser', organiser.id);
    expect((await app.request('POST', `/v1/activities/${theirs.id}/close`, { token })).status).toBe(403);
    const closed = await app.request('POST', `/v1/activities/${mine.id}/close`, { token });
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('closed');
    expect((await app.request('POST', `/v1/activities/${mine.id}/close`, { token })).status).toBe(409);
    const cancelled = await app.request('POST', `/v1/activities/${mine.id}/cancel`, { token });
    expect(cancelled.body.status).toBe('cancelled');
    const v = await f.volunteer(streetA.id);
    const signup = await app.request('POST', `/v1/activities/${mine.id}/signup`, { token: await app.token('volunteer', v.id) });
    expect(signup.status).toBe(409);
  });
});

describe('sign-ups', () => {
  it('200 concurrent sign-ups to an activity with capacity 50 admit exactly 50', async () => {
    const type = await f.activityType({ kind: 'fixed', points: 5 });
    const unit = await f.orgUnit();
    const activity = await f.activity(unit.id, type.code, { capacity: 50, startsAt: at(hour), endsAt: at(2 * hour) });
    const volunteers = [];
    for (let i = 0; i < 200; i += 25) volunteers.push(...(await Promise.all(Array.from({ length: 25 }, () => f.volunteer(unit.id)))));
    const tokens = await Promise.all(volunteers.map((v) => app.token('volunteer', v.id)));
    const results = await Promise.all(tokens.map((token) => app.request('POST', `/v1/activities/${activity.id}/signup`, { token })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(50);
    expect(statuses.filter((s) => s === 409)).toHaveLength(150);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.code === 'capacity_reached')).toBe(true);
    const read = await app.request('GET', `/v1/activities/${activity.id}`, { token: f.adminToken });
    expect(read.body.signedUp).toBe(50);
    let listed = 0;
    let cursor: string | null = null;
    do {
      const page: any = await app.request('GET', `/v1/activities/${activity.id}/signups?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { token: f.adminToken });
      listed += page.body.items.length;
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(listed).toBe(50);
  });

  it('are idempotent per volunteer, and a withdrawal frees the place', async () => {
    const type = await f.activityType({ kind: 'fixed', points: 5 });
    const unit = await f.orgUnit();
    const activity = await f.activity(unit.id, type.code, { capacity: 1, startsAt: at(hour), endsAt: at(2 * hour) });
    const [a, b] = [await f.volunteer(unit.id), await f.volunteer(unit.id)];
    const ta = await app.token('volunteer', a.id);
    const tb = await app.token('volunteer', b.id);
    expect((await app.request('POST', `/v1/activities/${activity.id}/signup`, { token: ta })).status).toBe(201);
    expect((await app.request('POST', `/v1/activities/${activity.id}/signup`, { token: ta })).status).toBe(200);
    const full = await app.request('POST', `/v1/activities/${activity.id}/signup`, { token: tb });
    expect(full.status).toBe(409);
    expect(full.body.code).toBe('capacity_reached');
    const out = await app.request('POST', `/v1/activities/${activity.id}/withdraw`, { token: ta });
    expect(out.status).toBe(200);
    expect(out.body.status).toBe('withdrawn');
    expect((await app.request('POST', `/v1/activities/${activity.id}/withdraw`, { token: ta })).status).toBe(404);
    expect((await app.request('POST', `/v1/activities/${activity.id}/signup`, { token: tb })).status).toBe(201);
    expect((await app.request('GET', `/v1/activities/${activity.id}`, { token: tb })).body.signedUp).toBe(1);
    expect((await app.request('POST', `/v1/activities/${activity.id}/signup`, { token: f.adminToken })).status).toBe(403);
  });

  it('close when the activity has ended', async () => {
    const type = await f.activityType({ kind: 'fixed', points: 5 });
    const unit = await f.orgUnit();
    const past = await f.activity(unit.id, type.code, { startsAt: at(-3 * hour), endsAt: at(-2 * hour) });
    const v = await f.volunteer(unit.id);
    const res = await app.request('POST', `/v1/activities/${past.id}/signup`, { token: await app.token('volunteer', v.id) });
    expect(res.status).toBe(409);
  });
});

describe('check-in codes', () => {
  it('are shown to the activity managers only, as six digits and as a QR code', async () => {
    const type = await f.activityType({ kind: 'fixed', points: 5 });
    const { streetA, streetB } = await f.tree();
    const activity = await f.activity(streetA.id, type.code);
    const organiser = await f.organiser(streetA.id);
    const res = await app.request('GET', `/v1/activities/${activity.id}/check-in-code`, { token: await app.token('organiser', organiser.id) });
    expect(res.status).toBe(200);
    expect(res.body.code).toMatch(/^[0-9]{6}$/);
    const qr = await app.request('GET', `/v1/activities/${activity.id}/check-in-code/qr.svg`, { token: f.adminToken });
    expect(qr.status).toBe(200);
    expect(qr.headers.get('content-type')).toContain('image/svg+xml');
    expect(String(qr.body)).toContain('<svg');
    const other = await f.organiser(streetB.id);
    expect((await app.request('GET', `/v1/activities/${activity.id}/check-in-code`, { token: await app.token('organiser', other.id) })).status).toBe(403);
    const v = await f.volunteer(streetA.id);
    expect((await app.request('GET', `/v1/activities/${activity.id}/check-in-code`, { token: await app.token('volunteer', v.id) })).status).toBe(403);
  });
});

describe('the OpenAPI document', () => {
  it('describes the activity and service-record routes', async () => {
    const doc = await app.request('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    for (const path of ['/v1/activity-types', '/v1/activities', '/v1/activities/{id}/records', '/v1/activities/{id}/check-in', '/v1/records/{id}/corrections', '/v1/volunteers/{id}/certificate']) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
    expect(doc.body.paths['/v1/activities/{id}/records'].post.requestBody.content['application/json'].schema).toBeDefined();
  });
});
