import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkInCodeAt } from '../src/activities/checkincode.js';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { key } from './support/ledger.js';
import { recordHelpers } from './support/records.js';
import { useTestApp } from './support/setup.js';

/**
 * The service pieces the organiser's desk stands on, over HTTP: finding volunteers, the approval
 * queue and deciding it across activities, matching a sheet's rows before a bulk entry, and the
 * rotating check-in code.
 */

let app: TestApp;
let f: Factory;
useTestApp({ ledgerSound: true }, (started) => ({ app, f } = started));
const { record, balance, volunteers, running, checkedOut } = recordHelpers(() => ({ app, f }));

let tree: Awaited<ReturnType<Factory['tree']>>;
let organiser: string;
let outsider: string;

beforeAll(async () => {
  tree = await f.tree();
  organiser = await app.token('organiser', (await f.organiser(tree.streetA.id)).id);
  outsider = await app.token('organiser', (await f.organiser(tree.streetB.id)).id);
});

const get = (path: string, token: string) => app.request('GET', path, { token });
const post = (path: string, token: string, body: unknown, headers: Record<string, string> = {}) => app.request('POST', path, { token, body, headers });

describe('finding volunteers', () => {
  it('by part of the name or of the phone number however written, only in the organiser subtree', async () => {
    const tag = `寻${Date.now() % 100000}`;
    const mine = await f.volunteer(tree.community.id, { name: `${tag}王秀英`, phone: '+86 131-2345-6789' });
    const theirs = await f.volunteer(tree.streetB.id, { name: `${tag}王秀兰`, phone: '13123456780' });
    const byName = await get(`/v1/volunteers?q=${encodeURIComponent(tag + '王秀')}`, organiser);
    expect(byName.status).toBe(200);
    expect(byName.body.items.map((v: any) => v.id)).toEqual([mine.id]);
    const byPhone = await get(`/v1/volunteers?q=${encodeURIComponent('2345 678')}`, organiser);
    expect(byPhone.body.items.map((v: any) => v.id)).toContain(mine.id);
    expect(byPhone.body.items.map((v: any) => v.id)).not.toContain(theirs.id);
    const admin = await get(`/v1/volunteers?q=${encodeURIComponent(tag)}`, f.adminToken);
    expect(admin.body.items.map((v: any) => v.id).sort()).toEqual([mine.id, theirs.id].sort());
    // LIKE's wildcards are taken literally.
    expect((await get(`/v1/volunteers?q=${encodeURIComponent('%')}`, organiser)).body.items).toEqual([]);
    const tooLong = await get(`/v1/volunteers?q=${'x'.repeat(101)}`, organiser);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors[0].path).toBe('query.q');
    expect((await get(`/v1/volunteers?q=x`, await app.token('volunteer', mine.id))).status).toBe(403);
  });
});

describe('the approval queue', () => {
  it('lists pending check-ins of the organiser subtree, oldest first, paged; admins see all', async () => {
    const mine = await running(tree.community.id, { kind: 'fixed', points: 7 });
    const theirs = await running(tree.streetB.id, { kind: 'fixed', points: 7 });
    const [a, b, c] = await volunteers(tree.community.id, 3);
    const [d] = await volunteers(tree.streetB.id, 1);
    const ra = await checkedOut(mine.activity.id, mine.code, a!.id);
    const rb = await checkedOut(mine.activity.id, mine.code, b!.id);
    const rc = await checkedOut(mine.activity.id, mine.code, c!.id);
    const rd = await checkedOut(theirs.activity.id, theirs.code, d!.id);

    const first = await get(`/v1/records?status=pending&activityId=${mine.activity.id}&limit=2`, organiser);
    expect(first.status).toBe(200);
    expect(first.body.items.map((r: any) => r.id)).toEqual([ra.id, rb.id, rc.id].sort().slice(0, 2));
    const second = await get(`/v1/records?status=pending&activityId=${mine.activity.id}&limit=2&cursor=${first.body.nextCursor}`, organiser);
    expect(second.body.items.map((r: any) => r.id)).toEqual([ra.id, rb.id, rc.id].sort().slice(2));
    expect(second.body.nextCursor).toBeNull();

    const all = await get(`/v1/records?status=pending&limit=200`, organiser);
    const ids = all.body.items.map((r: any) => r.id);
    expect(ids).toEqual(expect.arrayContaining([ra.id, rb.id, rc.id]));
    expect(ids).not.toContain(rd.id);
    expect(all.body.items.every((r: any) => r.status === 'pending')).toBe(true);
    expect(all.body.items.find((r: any) => r.id === ra.id).volunteerName).toBe(a!.name);
    expect((await get(`/v1/records?status=pending&limit=200`, f.adminToken)).body.items.map((r: any) => r.id)).toEqual(expect.arrayContaining([ra.id, rd.id]));

    // Someone from another street who served at my activity is decided on, not named.
    const visitor = await checkedOut(mine.activity.id, mine.code, (await volunteers(tree.streetB.id, 1))[0]!.id);
    const queued = (await get(`/v1/records?activityId=${mine.activity.id}&status=pending`, organiser)).body.items.find((r: any) => r.id === visitor.id);
    expect(queued.volunteerName).toBeNull();
    expect((await get(`/v1/records?activityId=${mine.activity.id}&status=pending`, f.adminToken)).body.items.find((r: any) => r.id === visitor.id).volunteerName).not.toBeNull();
    expect((await get(`/v1/records?orgUnitId=${tree.streetB.id}`, organiser)).status).toBe(404);
    expect((await get(`/v1/records?activityId=${theirs.activity.id}`, organiser)).status).toBe(403);
    expect((await get(`/v1/records?status=maybe`, organiser)).status).toBe(400);
    expect((await get(`/v1/records`, await app.token('volunteer', a!.id))).status).toBe(403);
  });

  it('approves pending records of several activities at once, all or nothing, and a repeat changes nothing', async () => {
    const one = await running(tree.community.id, { kind: 'fixed', points: 5 });
    const two = await running(tree.streetA.id, { kind: 'fixed', points: 9 });
    const theirs = await running(tree.streetB.id, { kind: 'fixed', points: 5 });
    const [a, b] = await volunteers(tree.community.id, 2);
    const [d] = await volunteers(tree.streetB.id, 1);
    const ra = await checkedOut(one.activity.id, one.code, a!.id);
    const rb = await checkedOut(two.activity.id, two.code, b!.id);
    const rd = await checkedOut(theirs.activity.id, theirs.code, d!.id);

    // Another subtree's record refuses the whole decision, naming its position; nothing moves.
    const refused = await post('/v1/records/approve', organiser, { recordIds: [ra.id, rd.id, rb.id] });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ path: 'recordIds.1', message: 'no such record in your scope' }]);
    expect((await balance(a!.id)).balance).toBe(0);

    const approved = await post('/v1/records/approve', organiser, { recordIds: [ra.id, rb.id] }, { 'idempotency-key': key() });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.records.map((r: any) => [r.id, r.status])).toEqual([
      [ra.id, 'approved'],
      [rb.id, 'approved'],
    ]);
    expect((await balance(a!.id)).balance).toBe(5);
    expect((await balance(b!.id)).balance).toBe(9);
    // Each award names its own activity.
    const memos = await sql<{ memo: string }>`select memo from ledger_transactions where reference in (${ra.id}, ${rb.id}) order by memo`.execute(app.deps.db);
    expect(memos.rows).toHaveLength(2);
    expect(new Set(memos.rows.map((r) => r.memo)).size).toBe(2);

    expect((await post('/v1/records/approve', organiser, { recordIds: [ra.id, rb.id] })).status).toBe(200);
    expect((await balance(a!.id)).balance).toBe(5);
    const reject = await post('/v1/records/reject', organiser, { recordIds: [ra.id], reason: 'no' });
    expect(reject.status).toBe(409);
    expect(reject.body.errors[0].path).toBe('recordIds.0');

    const rejected = await post('/v1/records/reject', outsider, { recordIds: [rd.id], reason: '没有到场' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.records[0].status).toBe('rejected');
    expect((await post('/v1/records/approve', organiser, { recordIds: [] })).status).toBe(400);
    expect((await post('/v1/records/approve', await app.token('volunteer', a!.id), { recordIds: [ra.id] })).status).toBe(403);
  });
});

describe('a sheet of hours', () => {
  it('200 rows with 2 bad ones: the match names those two, the entry writes nothing; fixed, all 200 are written once even if sent twice', async () => {
    const type = await f.activityType({ kind: 'per_hour', points: 10 });
    const activity = await f.activity(tree.community.id, type.code);
    const people = await volunteers(tree.community.id, 200);
    const stranger = await f.volunteer(tree.streetB.id, { phone: `139${String(Date.now()).slice(-8)}` });
    const rows = people.map((p) => ({ name: p.name }));
    rows[17] = { name: '没有这个人' };
    rows[123] = { phone: ` +86 ${(await get(`/v1/volunteers/${stranger.id}`, f.adminToken)).body.phone}` } as any;

    const matched = await post('/v1/volunteers/match', organiser, { rows });
    expect(matched.status).toBe(200);
    const bad = matched.body.rows.filter((r: any) => r.reason !== null);
    expect(bad).toEqual([
      { index: 17, by: 'name', volunteer: null, reason: 'not_found' },
      { index: 123, by: 'phone', volunteer: null, reason: 'out_of_scope' },
    ]);
    expect(matched.body.rows[0]).toEqual({ index: 0, by: 'name', volunteer: { id: people[0]!.id, name: people[0]!.name, orgUnitId: tree.community.id }, reason: null });

    const countRecords = async () => Number((await sql<{ n: string }>`select count(*) as n from service_records where activity_id = ${activity.id}`.execute(app.deps.db)).rows[0]!.n);
    const entries = matched.body.rows.map((r: any, i: number) => ({ volunteerId: r.volunteer?.id ?? stranger.id, minutes: 60 + (i % 3) * 30 }));
    const refused = await record(activity.id, entries, organiser);
    expect(refused.status).toBe(400);
    expect(await countRecords()).toBe(0);

    // Fixed: the two rows now name people in the subtree.
    const fixed = people.map((p, i) => ({ volunteerId: p.id, minutes: 60 + (i % 3) * 30 }));
    const idempotencyKey = key();
    const [firstTry, secondTry] = await Promise.all([record(activity.id, fixed, organiser, idempotencyKey), record(activity.id, fixed, organiser, idempotencyKey)]);
    const statuses = [firstTry.status, secondTry.status].sort();
    // Sent twice at once: one writes, the other replays it (or is told the first is still under way).
    expect(statuses[0]).toBe(201);
    expect([201, 409]).toContain(statuses[1]);
    const again = await record(activity.id, fixed, organiser, idempotencyKey);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await countRecords()).toBe(200);
    expect((await balance(people[0]!.id)).balance).toBe(10);
    expect((await balance(people[1]!.id)).balance).toBe(15);
  }, 60_000);

  it('says why each other row has no one: ambiguous, inactive, mismatch, duplicate; ids and phones are matched too', async () => {
    const name = `同名${Date.now() % 100000}`;
    const [twinA] = [await f.volunteer(tree.community.id, { name })];
    await f.volunteer(tree.community.id, { name });
    const phone = `137${String(Date.now()).slice(-8)}`;
    const byPhone = await f.volunteer(tree.community.id, { name: `${name}乙`, phone });
    const gone = await f.volunteer(tree.community.id, { name: `${name}丙` });
    expect((await post(`/v1/volunteers/${gone.id}/deactivate`, organiser, {})).status).toBe(200);

    const res = await post('/v1/volunteers/match', organiser, {
      rows: [
        { name },
        { name: gone.name },
        { phone: `${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}`, name: '别人' },
        { id: twinA.id },
        { id: twinA.id.toUpperCase() },
        { id: 'not-an-id' },
        { phone, name: byPhone.name },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.rows.map((r: any) => [r.reason, r.volunteer?.id ?? null])).toEqual([
      ['ambiguous', null],
      ['inactive', null],
      ['mismatch', null],
      [null, twinA.id],
      ['duplicate', null],
      ['not_found', null],
      [null, byPhone.id],
    ]);
    expect(res.body.rows[4].duplicateOf).toBe(3);

    const empty = await post('/v1/volunteers/match', organiser, { rows: [{}] });
    expect(empty.status).toBe(400);
    expect(empty.body.errors[0].path).toBe('rows.0.name');
    expect((await post('/v1/volunteers/match', organiser, { rows: Array.from({ length: 1001 }, () => ({ name: 'x' })) })).status).toBe(400);
    expect((await post('/v1/volunteers/match', await app.token('merchant', (await f.merchant()).id), { rows: [{ name }] })).status).toBe(403);
  });
});

describe('matching for an activity', () => {
  it('counts a visitor signed up for the organiser activity as in scope, as the bulk entry does', async () => {
    const type = await f.activityType({ kind: 'per_hour', points: 4 });
    const activity = await f.activity(tree.community.id, type.code);
    const visitor = await f.volunteer(tree.streetB.id, { phone: `136${String(Date.now()).slice(-8)}` });
    const rows = [{ id: visitor.id }];
    expect((await post('/v1/volunteers/match', organiser, { rows, activityId: activity.id })).body.rows[0].reason).toBe('out_of_scope');
    expect((await post(`/v1/activities/${activity.id}/signup`, await app.token('volunteer', visitor.id), {})).status).toBe(201);
    const matched = await post('/v1/volunteers/match', organiser, { rows, activityId: activity.id });
    expect(matched.body.rows[0]).toMatchObject({ reason: null, volunteer: { id: visitor.id } });
    expect((await post('/v1/volunteers/match', organiser, { rows })).body.rows[0].reason).toBe('out_of_scope');
    expect((await record(activity.id, [{ volunteerId: visitor.id, minutes: 60 }], organiser)).status).toBe(201);
    const theirs = await f.activity(tree.streetB.id, type.code);
    expect((await post('/v1/volunteers/match', organiser, { rows, activityId: theirs.id })).status).toBe(403);
  });
});

describe('the rotating check-in code', () => {
  it('is the code of the moment with when it rotates; a recently replaced code still works, an old one is expired and not counted as a guess', async () => {
    const { activity } = await running(tree.community.id, { kind: 'fixed', points: 3 });
    const res = await get(`/v1/activities/${activity.id}/check-in-code`, organiser);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.rotationSeconds).toBe(30);
    const rotatesAt = Date.parse(res.body.rotatesAt);
    expect(rotatesAt - Date.now()).toBeLessThanOrEqual(30_000);
    expect(Date.parse(res.body.acceptedUntil)).toBe(rotatesAt + 120_000);

    const { rows } = await sql<{ check_in_secret: Uint8Array }>`select check_in_secret from activities where id = ${activity.id}`.execute(app.deps.db);
    const secret = rows[0]!.check_in_secret;
    const [late, early, guesser] = await volunteers(tree.community.id, 3);
    const lateToken = await app.token('volunteer', late!.id);
    const aMinuteAgo = checkInCodeAt(secret, Date.now() - 60_000).code;
    expect((await post(`/v1/activities/${activity.id}/check-in`, lateToken, { code: aMinuteAgo })).status).toBe(201);

    const earlyToken = await app.token('volunteer', early!.id);
    const tenMinutesAgo = checkInCodeAt(secret, Date.now() - 600_000).code;
    for (let i = 0; i < 12; i++) {
      const expired = await post(`/v1/activities/${activity.id}/check-in`, earlyToken, { code: tenMinutesAgo });
      expect(expired.status).toBe(400);
      expect(expired.body.errors[0]).toEqual({ path: 'code', message: 'the check-in code has expired; scan the code on the screen again' });
    }
    expect((await post(`/v1/activities/${activity.id}/check-in`, earlyToken, { code: res.body.code })).status).toBe(201);

    const guesserToken = await app.token('volunteer', guesser!.id);
    const current = new Set([0, 30, 60, 90, 120, 150].map((s) => checkInCodeAt(secret, Date.now() - s * 1000).code));
    const wrong = ['000000', '111111', '222222', '333333', '444444', '555555', '666666', '777777', '888888', '999999', '123456'].filter((c) => !current.has(c));
    for (const code of wrong.slice(0, 10)) expect((await post(`/v1/activities/${activity.id}/check-in`, guesserToken, { code })).status).toBe(400);
    expect((await post(`/v1/activities/${activity.id}/check-in`, guesserToken, { code: res.body.code })).status).toBe(429);
  });
});
