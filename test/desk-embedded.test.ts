import { describe, expect, it } from 'vitest';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { key } from './support/ledger.js';
import { recordHelpers } from './support/records.js';
import { useTestApp } from './support/setup.js';

/**
 * The desk's service pieces on the embedded database (PGlite), built as `npm start` builds it
 * without DATABASE_URL: phone_key() and its index, the search, the rotating code, the queue.
 */

let app: TestApp;
let f: Factory;
useTestApp({ env: { DATABASE_URL: '', MIGRATE_ON_START: 'true' }, ledgerSound: true }, (started) => ({ app, f } = started));
const { record, balance, running, checkedOut } = recordHelpers(() => ({ app, f }));

describe('the desk on embedded PostgreSQL', () => {
  it('finds, matches, checks in with the rotating code, approves from the queue and enters a sheet', async () => {
    expect(app.deps.database.kind).toBe('pglite');
    const tree = await f.tree();
    const organiser = await app.token('organiser', (await f.organiser(tree.streetA.id)).id);
    const wang = await f.volunteer(tree.community.id, { name: '王秀英', phone: '+86 138-0013-8000' });
    const li = await f.volunteer(tree.community.id, { name: '李明' });
    await f.volunteer(tree.streetB.id, { name: '王秀兰', phone: '13900000000' });

    const found = await app.request('GET', `/v1/volunteers?q=${encodeURIComponent('0013 80')}`, { token: organiser });
    expect(found.body.items.map((v: any) => v.id)).toEqual([wang.id]);
    const matched = await app.request('POST', '/v1/volunteers/match', { token: organiser, body: { rows: [{ phone: '13800138000' }, { name: '李明' }, { phone: '139 0000 0000' }] } });
    expect(matched.body.rows.map((r: any) => r.volunteer?.id ?? r.reason)).toEqual([wang.id, li.id, 'out_of_scope']);

    const { activity, code } = await running(tree.community.id, { kind: 'fixed', points: 8 });
    const pending = await checkedOut(activity.id, code, wang.id);
    const queue = await app.request('GET', '/v1/records?status=pending', { token: organiser });
    expect(queue.body.items.map((r: any) => r.id)).toEqual([pending.id]);
    const approved = await app.request('POST', '/v1/records/approve', { token: organiser, body: { recordIds: [pending.id] } });
    expect(approved.body.records[0].status).toBe('approved');
    expect((await balance(wang.id)).balance).toBe(8);

    const sheet = await running(tree.community.id, { kind: 'per_hour', points: 10 });
    const k = key();
    const rows = matched.body.rows.slice(0, 2).map((r: any) => ({ volunteerId: r.volunteer.id, minutes: 90 }));
    expect((await record(sheet.activity.id, rows, organiser, k)).status).toBe(201);
    const replay = await record(sheet.activity.id, rows, organiser, k);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await balance(li.id)).balance).toBe(15);
  });
});
