import { describe, expect, it } from 'vitest';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';
import { category, move, moveOk, neighbourhood, postWish } from './support/wishes.js';

/**
 * The same wishes on the embedded database (PGlite), over HTTP: the app is built exactly as
 * `npm start` builds it without DATABASE_URL, in a data directory of its own, migrations applied.
 */

let app: TestApp;
let f: Factory;
useTestApp({ env: { DATABASE_URL: '', MIGRATE_ON_START: 'true' }, ledgerSound: true }, (started) => ({ app, f } = started));

describe('wishes on embedded PostgreSQL', () => {
  it('post → take → done → confirm → the statement shows the award with the wish as reference', async () => {
    expect(app.deps.database.kind).toBe('pglite');
    const n = await neighbourhood(app, f, 3);
    const c = await category(app, f, 25, '上门维修');
    const [poster, taker, bystander] = n.volunteers;
    const wish = await postWish(app, poster!.token, { orgUnitId: n.gridA.id, category: c.code, title: '修水管' });
    const taken = await moveOk(app, taker!.token, wish.id, 'take');
    expect(taken.requester).toMatchObject({ name: poster!.name });
    const other = await app.request('GET', `/v1/wishes/${wish.id}`, { token: bystander!.token });
    expect(other.status).toBe(200);
    expect(other.body.requester).toBeUndefined();
    await moveOk(app, taker!.token, wish.id, 'done', { note: '换了新水管' });
    const confirmed = await moveOk(app, poster!.token, wish.id, 'confirm');
    expect(confirmed).toMatchObject({ status: 'confirmed', points: 25 });
    const statement = await app.request('GET', `/v1/volunteers/${taker!.id}/ledger`, { token: taker!.token });
    expect(statement.body.items).toEqual([expect.objectContaining({ kind: 'award', amount: 25, reference: wish.id, transactionId: confirmed.awardTransactionId })]);
    expect((await moveOk(app, f.adminToken, wish.id, 'confirm')).awardTransactionId).toBe(confirmed.awardTransactionId);
  });

  it('gives concurrent takes one taker and concurrent confirms one award', async () => {
    const n = await neighbourhood(app, f, 12);
    const c = await category(app, f, 7);
    const wish = await postWish(app, n.organiserToken, { orgUnitId: n.gridB.id, category: c.code, title: '同时接单', onBehalfOf: { name: '老人', contact: '9栋' } });
    const takes = await Promise.all(n.volunteers.map((v) => move(app, v.token, wish.id, 'take')));
    expect(takes.filter((r) => r.status === 200)).toHaveLength(1);
    expect(takes.filter((r) => r.status === 409 && r.body.code === 'already_taken')).toHaveLength(11);
    const taker = n.volunteers.find((v) => v.id === takes.find((r) => r.status === 200)!.body.takerId)!;
    await moveOk(app, taker.token, wish.id, 'done');
    const confirms = await Promise.all(Array.from({ length: 10 }, (_, i) => move(app, i % 2 ? n.organiserToken : f.adminToken, wish.id, 'confirm')));
    expect(confirms.map((r) => r.status)).toEqual(Array(10).fill(200));
    const statement = await app.request('GET', `/v1/volunteers/${taker.id}/ledger`, { token: f.adminToken });
    expect(statement.body.items.filter((i: { reference: string }) => i.reference === wish.id)).toHaveLength(1);
  });

  it('reports the month and counts wishes by state on /metrics', async () => {
    const body = (await app.request('GET', '/v1/reports/wishes?period=month', { token: f.adminToken })).body;
    expect(body).toMatchObject({ posted: 2, taken: 2, done: 2, confirmed: 2, completionRate: 1, shareAnsweredWithin15Minutes: 1 });
    const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^jifen_wishes\{status="confirmed"\} 2$/m);
  });
});
