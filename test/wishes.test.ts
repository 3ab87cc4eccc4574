import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { buildDeps } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { sweepExpiredWishes, takeWish } from '../src/wishes/service.js';
import { postWish as postWishVerb } from '../src/wishes/service.js';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';
import { key } from './support/ledger.js';
import { category, move, moveOk, neighbourhood, postWish } from './support/wishes.js';

let app: TestApp;
let f: Factory;
useTestApp({ env: { WISH_POST_HOLDER_MINUTES: '5' }, ledgerSound: true }, (started) => ({ app, f } = started));

const minute = 60_000;
const later = (ms: number) => new Date(Date.now() + ms).toISOString();

describe('wish categories', () => {
  it('are created by admins, listed and read by anyone signed in, and refuse duplicates and bad input', async () => {
    const c = await category(app, f, 25, '法律咨询');
    expect(c).toMatchObject({ name: '法律咨询', points: 25, status: 'active' });
    // Posting a code again sets that category's name and points.
    const again = await app.request('POST', '/v1/wish-categories', { token: f.adminToken, body: { code: c.code, name: '法律援助', points: 26 } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: c.id, code: c.code, name: '法律援助', points: 26 });
    const { volunteers, organiserToken } = await neighbourhood(app, f, 1);
    const byOrganiser = await app.request('POST', '/v1/wish-categories', { token: organiserToken, body: { code: 'nope', name: 'x', points: 1 } });
    expect(byOrganiser.status).toBe(403);
    for (const body of [
      { code: 'Bad Code', name: 'x', points: 5 },
      { code: 'ok', name: 'x', points: 0 },
      { code: 'ok', name: 'x', points: 1001 },
      { code: 'ok', name: '', points: 5 },
      { code: 'ok', name: 'x', points: 5, extra: true },
      { code: 'ok', name: 'x', points: 2.5 },
    ]) {
      const res = await app.request('POST', '/v1/wish-categories', { token: f.adminToken, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    const read = await app.request('GET', `/v1/wish-categories/${c.code}`, { token: volunteers[0]!.token });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ code: c.code, points: 26 });
    expect((await app.request('GET', '/v1/wish-categories/no-such-code', { token: f.adminToken })).status).toBe(404);
    const list = await app.request('GET', '/v1/wish-categories?limit=200', { token: volunteers[0]!.token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((x: { code: string }) => x.code)).toContain(c.code);
  });

  it('change points and retire by admin only; a retired category takes no new wishes', async () => {
    const c = await category(app, f, 10);
    const n = await neighbourhood(app, f, 1);
    const patch = (token: string, body: unknown) => app.request('PATCH', `/v1/wish-categories/${c.code}`, { token, body });
    expect((await patch(n.organiserToken, { points: 12 })).status).toBe(403);
    expect((await patch(f.adminToken, {})).status).toBe(400);
    expect((await app.request('PATCH', '/v1/wish-categories/missing-code', { token: f.adminToken, body: { points: 3 } })).status).toBe(404);
    const changed = await patch(f.adminToken, { points: 12, name: '代办跑腿' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ points: 12, name: '代办跑腿' });
    expect((await patch(f.adminToken, { status: 'retired' })).body.status).toBe('retired');
    const refused = await app.request('POST', '/v1/wishes', { token: n.volunteers[0]!.token, body: { orgUnitId: n.gridA.id, category: c.code, title: '帮忙取快递' } });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'inactive', status: 409 });
  });
});

describe('posting a wish', () => {
  it('lets a volunteer post for itself in its community, and answers with the open wish and its history', async () => {
    const n = await neighbourhood(app, f, 1);
    const c = await category(app, f, 20);
    const v = n.volunteers[0]!;
    // A sibling grid of the same community is still the volunteer's community.
    const wish = await postWish(app, v.token, { orgUnitId: n.gridB.id, category: c.code, title: '帮忙修理漏水的水龙头', details: '厨房水龙头一直滴水', neededBy: later(3 * 24 * 60 * minute) });
    expect(wish).toMatchObject({
      status: 'open',
      orgUnitId: n.gridB.id,
      category: c.code,
      categoryName: c.name,
      points: 20,
      postedBy: { role: 'volunteer', id: v.id },
      onBehalfOf: null,
      takerId: null,
      priorityUntil: null,
      offeredToPostHolders: false,
      awardTransactionId: null,
      version: 1,
    });
    // The poster sees itself as the one to contact.
    expect(wish.requester).toEqual({ name: v.name, contact: expect.stringMatching(/^1390000/) });
    expect(wish.history).toEqual([expect.objectContaining({ version: 1, from: null, to: 'open', actor: { role: 'volunteer', id: v.id } })]);
  });

  it('lets an organiser post on behalf of a resident, and requires the resident', async () => {
    const n = await neighbourhood(app, f, 0);
    const c = await category(app, f);
    const wish = await postWish(app, n.organiserToken, { orgUnitId: n.gridA.id, category: c.code, title: '上门认证养老金', onBehalfOf: { name: '王奶奶', contact: '3栋2单元501' } });
    expect(wish).toMatchObject({ postedBy: { role: 'organiser', id: n.organiser.id }, onBehalfOf: { name: '王奶奶', contact: '3栋2单元501' }, requester: { name: '王奶奶', contact: '3栋2单元501' } });
    const missing = await app.request('POST', '/v1/wishes', { token: n.organiserToken, body: { orgUnitId: n.gridA.id, category: c.code, title: '无人' } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([expect.objectContaining({ path: 'onBehalfOf' })]);
    const admin = await postWish(app, f.adminToken, { orgUnitId: n.gridA.id, category: c.code, title: '陪伴老人', onBehalfOf: { name: '李爷爷', contact: '13800000000' } });
    expect(admin.postedBy).toEqual({ role: 'admin', id: 'test-admin' });
  });

  it('refuses the wrong caller, the wrong place and bad input, changing nothing', async () => {
    const n = await neighbourhood(app, f, 1);
    const other = await neighbourhood(app, f, 0);
    const c = await category(app, f);
    const v = n.volunteers[0]!;
    const base = { orgUnitId: n.gridA.id, category: c.code, title: '帮忙' };
    const post = (token: string, body: unknown) => app.request('POST', '/v1/wishes', { token, body });
    const before = await sql<{ n: number }>`select count(*)::bigint as n from wishes`.execute(app.deps.db);
    expect((await post(v.token, { ...base, onBehalfOf: { name: 'a', contact: 'b' } })).status).toBe(403);
    expect((await post(v.token, { ...base, orgUnitId: other.gridA.id })).status).toBe(403);
    expect((await post(n.organiserToken, { ...base, orgUnitId: other.gridA.id, onBehalfOf: { name: 'a', contact: 'b' } })).status).toBe(403);
    const merchant = await f.merchant();
    expect((await post(await app.token('merchant', merchant.id), base)).status).toBe(403);
    expect((await post('', base)).status).toBe(401);
    const bad: [unknown, string][] = [
      [{ ...base, category: 'no-such-category' }, 'category'],
      [{ ...base, orgUnitId: '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f' }, 'orgUnitId'],
      [{ ...base, neededBy: later(-minute) }, 'neededBy'],
      [{ ...base, neededBy: later(400 * 24 * 60 * minute) }, 'neededBy'],
      [{ ...base, neededBy: 'tomorrow' }, 'neededBy'],
      [{ ...base, title: '' }, 'title'],
      [{ ...base, title: 'x'.repeat(201) }, 'title'],
      [{ ...base, details: 'x'.repeat(2001) }, 'details'],
      [{ ...base, surprise: 1 }, ''],
      [{ ...base, orgUnitId: 'not-a-uuid' }, 'orgUnitId'],
      [{ ...base, title: { deep: [[[1]]] } }, 'title'],
    ];
    for (const [body, path] of bad) {
      const res = await post(v.token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.status).toBe(400);
      if (path) expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    const nul = await app.request('POST', '/v1/wishes', { token: v.token, raw: JSON.stringify({ ...base, title: 'a\u0000b' }) });
    expect(nul.status).toBe(400);
    const after = await sql<{ n: number }>`select count(*)::bigint as n from wishes w join org_units u on u.id = w.org_unit_id where starts_with(u.path, (select path from org_units where id = ${n.community.id}))`.execute(app.deps.db);
    expect(after.rows[0]?.n).toBe(0);
    expect(before.rows[0]?.n).toBeGreaterThanOrEqual(0);
  });

  it('replays a post retried with the same Idempotency-Key instead of posting twice', async () => {
    const n = await neighbourhood(app, f, 1);
    const c = await category(app, f);
    const headers = { 'idempotency-key': key() };
    const body = { orgUnitId: n.gridA.id, category: c.code, title: '帮忙买药' };
    const first = await app.request('POST', '/v1/wishes', { token: n.volunteers[0]!.token, body, headers });
    const again = await app.request('POST', '/v1/wishes', { token: n.volunteers[0]!.token, body, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    const reused = await app.request('POST', '/v1/wishes', { token: n.volunteers[0]!.token, body: { ...body, title: '别的' }, headers });
    expect(reused.status).toBe(422);
    const mine = await app.request('GET', '/v1/wishes?mine=posted', { token: n.volunteers[0]!.token });
    expect(mine.body.items).toHaveLength(1);
  });
});

describe('the life of a wish', () => {
  it('goes post → take → done → confirm, and the taker is awarded the points with the wish as reference', async () => {
    const n = await neighbourhood(app, f, 2);
    const c = await category(app, f, 30, '陪伴老人');
    const [taker] = n.volunteers;
    const wish = await postWish(app, n.organiserToken, { orgUnitId: n.gridA.id, category: c.code, title: '陪王奶奶去医院', onBehalfOf: { name: '王奶奶', contact: '13811112222' } });
    const taken = await moveOk(app, taker!.token, wish.id, 'take');
    expect(taken).toMatchObject({ status: 'taken', takerId: taker!.id, onBehalfOf: { name: '王奶奶', contact: '13811112222' } });
    expect(taken.takenAt).toBe(taken.firstTakenAt);
    const done = await moveOk(app, taker!.token, wish.id, 'done', { note: '已陪同就医' });
    expect(done.status).toBe('done');
    // Saying it again changes nothing.
    expect((await moveOk(app, taker!.token, wish.id, 'done', { note: '再说一次' })).version).toBe(done.version);
    const confirmed = await moveOk(app, n.organiserToken, wish.id, 'confirm', { note: '王奶奶很满意' });
    expect(confirmed).toMatchObject({ status: 'confirmed', points: 30, takerId: taker!.id });
    expect(confirmed.awardTransactionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(confirmed.closedAt).not.toBeNull();
    expect(confirmed.history.map((e: { from: string | null; to: string }) => [e.from, e.to])).toEqual([
      [null, 'open'],
      ['open', 'taken'],
      ['taken', 'done'],
      ['done', 'confirmed'],
    ]);
    expect(confirmed.history[1]).toMatchObject({ actor: { role: 'volunteer', id: taker!.id }, takerId: taker!.id });
    expect(confirmed.history[2]).toMatchObject({ note: '已陪同就医' });
    expect(confirmed.history[3]).toMatchObject({ actor: { role: 'organiser', id: n.organiser.id }, transactionId: confirmed.awardTransactionId });

    // Confirming again answers the same and awards nothing more.
    const again = await moveOk(app, n.organiserToken, wish.id, 'confirm');
    expect(again.awardTransactionId).toBe(confirmed.awardTransactionId);
    expect((await moveOk(app, f.adminToken, wish.id, 'confirm')).version).toBe(confirmed.version);

    const statement = await app.request('GET', `/v1/volunteers/${taker!.id}/ledger`, { token: taker!.token });
    expect(statement.body.items).toEqual([
      expect.objectContaining({ transactionId: confirmed.awardTransactionId, kind: 'award', amount: 30, balanceAfter: 30, reference: wish.id, memo: '微心愿 · 陪伴老人' }),
    ]);
    const transaction = await app.request('GET', `/v1/transactions/${confirmed.awardTransactionId}`, { token: f.adminToken });
    expect(transaction.body).toMatchObject({ kind: 'award', reference: wish.id, actorRole: 'organiser', actorId: n.organiser.id });
    // Personal data stays out of the ledger row.
    expect(JSON.stringify(transaction.body)).not.toMatch(/王奶奶|13811112222|医院/);
    const balance = await app.request('GET', `/v1/volunteers/${taker!.id}/balance`, { token: taker!.token });
    expect(balance.body).toMatchObject({ balance: 30, lifetimeEarned: 30 });
  });

  it('is confirmed by the volunteer who posted it', async () => {
    const n = await neighbourhood(app, f, 2);
    const c = await category(app, f, 8);
    const [poster, taker] = n.volunteers;
    const wish = await postWish(app, poster!.token, { orgUnitId: n.gridA.id, category: c.code, title: '帮忙搬家具' });
    const taken = await moveOk(app, taker!.token, wish.id, 'take');
    // The taker sees whom to call: the poster's name and phone.
    expect(taken.requester).toEqual({ name: poster!.name, contact: expect.stringMatching(/^1390000/) });
    await moveOk(app, taker!.token, wish.id, 'done');
    const other = n.volunteers.length > 2 ? n.volunteers[2] : await (async () => {
      const v = await f.volunteer(n.gridB.id);
      return { ...v, token: await app.token('volunteer', v.id) };
    })();
    const refused = await move(app, other!.token, wish.id, 'confirm');
    expect(refused.status).toBe(403);
    expect((await move(app, taker!.token, wish.id, 'confirm')).status).toBe(403);
    const confirmed = await moveOk(app, poster!.token, wish.id, 'confirm');
    expect(confirmed).toMatchObject({ status: 'confirmed', points: 8 });
    expect(confirmed.history[3].actor).toEqual({ role: 'volunteer', id: poster!.id });
  });

  it('can be released and taken by someone else, keeping its first answer time', async () => {
    const n = await neighbourhood(app, f, 3);
    const c = await category(app, f);
    const [a, b, stranger] = n.volunteers;
    const wish = await postWish(app, n.organiserToken, { orgUnitId: n.gridB.id, category: c.code, title: '修自行车', onBehalfOf: { name: '张大爷', contact: '楼下车棚' } });
    const first = await moveOk(app, a!.token, wish.id, 'take');
    expect((await move(app, stranger!.token, wish.id, 'release')).status).toBe(403);
    const released = await moveOk(app, a!.token, wish.id, 'release', { reason: '临时有事' });
    expect(released).toMatchObject({ status: 'open', takerId: null, takenAt: null, firstTakenAt: first.firstTakenAt });
    // The volunteer who let go no longer sees the contact.
    expect(released.onBehalfOf).toEqual({ name: '张大爷' });
    expect(released.history.at(-1)).toMatchObject({ from: 'taken', to: 'open', takerId: a!.id, note: '临时有事' });
    const retaken = await moveOk(app, b!.token, wish.id, 'take');
    expect(retaken).toMatchObject({ takerId: b!.id, firstTakenAt: first.firstTakenAt });
    // An organiser in scope takes a wish back from a taker who went silent.
    const back = await moveOk(app, n.organiserToken, wish.id, 'release', { reason: '联系不上' });
    expect(back.status).toBe('open');
    // Nobody holds it now: releasing it again is a state error.
    expect((await move(app, a!.token, wish.id, 'release')).body).toMatchObject({ code: 'invalid_transition', wishStatus: 'open' });
  });

  it('can be cancelled by its poster or an organiser from open or taken, and cancelling again changes nothing', async () => {
    const n = await neighbourhood(app, f, 2);
    const c = await category(app, f);
    const [poster, taker] = n.volunteers;
    const wish = await postWish(app, poster!.token, { orgUnitId: n.gridA.id, category: c.code, title: '借梯子' });
    await moveOk(app, taker!.token, wish.id, 'take');
    expect((await move(app, taker!.token, wish.id, 'cancel')).status).toBe(403);
    const cancelled = await moveOk(app, poster!.token, wish.id, 'cancel', { reason: '已经借到了' });
    expect(cancelled).toMatchObject({ status: 'cancelled', takerId: taker!.id });
    expect(cancelled.closedAt).not.toBeNull();
    expect((await moveOk(app, poster!.token, wish.id, 'cancel')).version).toBe(cancelled.version);
    // The taker still knows the wish, but no longer the contact.
    const seen = await app.request('GET', `/v1/wishes/${wish.id}`, { token: taker!.token });
    expect(seen.status).toBe(200);
    expect(seen.body.requester).toBeUndefined();
    const open = await postWish(app, poster!.token, { orgUnitId: n.gridA.id, category: c.code, title: '借锤子' });
    expect((await moveOk(app, n.organiserToken, open.id, 'cancel')).status).toBe('cancelled');
  });

  it('refuses moves its state does not allow with 409 and a stable code, naming the state in its own member', async () => {
    const n = await neighbourhood(app, f, 2);
    const c = await category(app, f);
    const [a, b] = n.volunteers;
    const wish = await postWish(app, n.organiserToken, { orgUnitId: n.gridA.id, category: c.code, title: '换灯泡', onBehalfOf: { name: '赵阿姨', contact: '2栋' } });
    const expectState = async (res: Awaited<ReturnType<typeof move>>, code: string, wishStatus: string) => {
      expect(res.status, JSON.stringify(res.body)).toBe(409);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body).toMatchObject({ code, status: 409, wishStatus, type: `urn:jifen:problem:${code}` });
    };
    // With nobody holding the wish, its state is what is wrong.
    await expectState(await move(app, a!.token, wish.id, 'done'), 'invalid_transition', 'open');
    await expectState(await move(app, n.organiserToken, wish.id, 'confirm'), 'invalid_transition', 'open');
    await expectState(await move(app, n.organiserToken, wish.id, 'release'), 'invalid_transition', 'open');
    await moveOk(app, a!.token, wish.id, 'take');
    const taken = await move(app, b!.token, wish.id, 'take');
    await expectState(taken, 'already_taken', 'taken');
    // With someone else holding it, the caller is.
    expect((await move(app, b!.token, wish.id, 'done')).status).toBe(403);
    expect((await move(app, b!.token, wish.id, 'release')).status).toBe(403);
    expect(taken.body.takenByYou).toBe(false);
    const mine = await move(app, a!.token, wish.id, 'take');
    await expectState(mine, 'already_taken', 'taken');
    expect(mine.body.takenByYou).toBe(true);
    await expectState(await move(app, n.organiserToken, wish.id, 'confirm'), 'invalid_transition', 'taken');
    await moveOk(app, a!.token, wish.id, 'done');
    await expectState(await move(app, n.organiserToken, wish.id, 'cancel'), 'invalid_transition', 'done');
    await expectState(await move(app, a!.token, wish.id, 'release'), 'invalid_transition', 'done');
    await expectState(await move(app, b!.token, wish.id, 'take'), 'already_taken', 'done');
    await moveOk(app, n.organiserToken, wish.id, 'confirm');
    await expectState(await move(app, n.organiserToken, wish.id, 'cancel'), 'invalid_transition', 'confirmed');
    const gone = await postWish(app, n.organiserToken, { orgUnitId: n.gridA.id, category: c.code, title: '取消了', onBehalfOf: { name: '钱叔', contact: '5栋' } });
    await moveOk(app, n.organiserToken, gone.id, 'cancel');
    await expectState(await move(app, a!.token, gone.id, 'take'), 'invalid_transition', 'cancelled');
  });

  it('refuses the wrong caller and answers 404 for a wish the caller may not know', async () => {
    const n = await neighbourhood(app, f, 2);
    const elsewhere = await neighbourhood(app, f, 1);
    const c = await category(app, f);
    const [poster, v] = n.volunteers;
    const wish = await postWish(app, poster!.token, { orgUnitId: n.gridA.id, category: c.code, title: '帮忙' });
    expect((await move(app, poster!.token, wish.id, 'take')).status).toBe(403);
    expect((await move(app, n.organiserToken, wish.id, 'take')).status).toBe(403);
    expect((await move(app, f.adminToken, wish.id, 'take')).status).toBe(403);
    const merchant = await f.merchant();
    const shop = await app.token('merchant', merchant.id);
    for (const action of ['take', 'release', 'done', 'confirm', 'cancel']) expect((await move(app, shop, wish.id, action)).status).toBe(403);
    expect((await app.request('GET', `/v1/wishes/${wish.id}`, { token: shop })).status).toBe(403);
    expect((await app.request('GET', '/v1/wishes', { token: shop })).status).toBe(403);
    for (const action of ['take', 'release', 'done', 'confirm', 'cancel']) expect((await move(app, elsewhere.volunteers[0]!.token, wish.id, action)).status).toBe(404);
    // Organisers never take or mark done (403 whatever the wish); outside their subtree the wish does not exist.
    for (const action of ['release', 'confirm', 'cancel']) expect((await move(app, elsewhere.organiserToken, wish.id, action)).status).toBe(404);
    expect((await move(app, elsewhere.organiserToken, wish.id, 'take')).status).toBe(403);
    expect((await app.request('GET', `/v1/wishes/${wish.id}`, { token: elsewhere.volunteers[0]!.token })).status).toBe(404);
    const missing = '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f';
    expect((await move(app, v!.token, missing, 'take')).status).toBe(404);
    expect((await app.request('GET', `/v1/wishes/${missing}`, { token: f.adminToken })).status).toBe(404);
    expect((await move(app, v!.token, 'not-a-uuid', 'take')).status).toBe(400);
    expect((await move(app, v!.token, wish.id, 'take', { unexpected: 1 })).status).toBe(400);
    expect((await move(app, v!.token, wish.id, 'release', { reason: 'x'.repeat(501) })).status).toBe(400);
    // A move with a JSON content type but no body is an empty request, not malformed JSON.
    const bare = await app.request('POST', `/v1/wishes/${wish.id}/take`, { token: v!.token, headers: { 'content-type': 'application/json' } });
    expect(bare.status, JSON.stringify(bare.body)).toBe(200);
  });

  it('is assigned by an organiser to a volunteer in its scope', async () => {
    const n = await neighbourhood(app, f, 2);
    const elsewhere = await neighbourhood(app, f, 1);
    const c = await category(app, f);
    const [poster, helper] = n.volunteers;
    const wish = await postWish(app, poster!.token, { orgUnitId: n.gridA.id, category: c.code, title: '帮忙' });
    const assign = (token: string, volunteerId: string) => move(app, token, wish.id, 'assign', { volunteerId });
    expect((await assign(helper!.token, helper!.id)).status).toBe(403);
    expect((await assign(n.organiserToken, elsewhere.volunteers[0]!.id)).status).toBe(400);
    expect((await assign(n.organiserToken, poster!.id)).status).toBe(400);
    expect((await assign(elsewhere.organiserToken, helper!.id)).status).toBe(404);
    const assigned = await assign(n.organiserToken, helper!.id);
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ status: 'taken', takerId: helper!.id });
    expect(assigned.body.history.at(-1)).toMatchObject({ actor: { role: 'organiser', id: n.organiser.id }, takerId: helper!.id });
    const again = await assign(f.adminToken, helper!.id);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('already_taken');
    expect((await moveOk(app, helper!.token, wish.id, 'done')).status).toBe('done');
  });

  it('awards the points of the category as they are at confirmation, never changing past awards', async () => {
    const n = await neighbourhood(app, f, 2);
    const c = await category(app, f, 20);
    const [a, b] = n.volunteers;
    const post = () => postWish(app, n.organiserToken, { orgUnitId: n.gridA.id, category: c.code, title: '代买菜', onBehalfOf: { name: '孙奶奶', contact: '1号楼' } });
    const first = await post();
    const second = await post();
    await moveOk(app, a!.token, first.id, 'take');
    await moveOk(app, b!.token, second.id, 'take');
    await moveOk(app, a!.token, first.id, 'done');
    await moveOk(app, b!.token, second.id, 'done');
    expect((await moveOk(app, n.organiserToken, first.id, 'confirm')).points).toBe(20);
    expect((await app.request('PATCH', `/v1/wish-categories/${c.code}`, { token: f.adminToken, body: { points: 35 } })).status).toBe(200);
    expect((await moveOk(app, n.organiserToken, second.id, 'confirm')).points).toBe(35);
    expect((await app.request('GET', `/v1/wishes/${first.id}`, { token: f.adminToken })).body.points).toBe(20);
    const balanceOf = async (id: string) => (await app.request('GET', `/v1/volunteers/${id}/balance`, { token: f.adminToken })).body.balance;
    expect(await balanceOf(a!.id)).toBe(20);
    expect(await balanceOf(b!.id)).toBe(35);
  });

  it('awards nothing to an inactive taker', async () => {
    const n = await neighbourhood(app, f, 1);
    const c = await category(app, f);
    const wish = await postWish(app, n.organiserToken, { orgUnitId: n.gridA.id, category: c.code, title: '帮忙', onBehalfOf: { name: '周叔', contact: '门卫室' } });
    const v = n.volunteers[0]!;
    await moveOk(app, v.token, wish.id, 'take');
    await moveOk(app, v.token, wish.id, 'done');
    expect((await app.request('POST', `/v1/volunteers/${v.id}/deactivate`, { token: f.adminToken })).status).toBe(200);
    const refused = await move(app, n.organiserToken, wish.id, 'confirm');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('inactive');
    expect((await app.request('GET', `/v1/wishes/${wish.id}`, { token: f.adminToken })).body.status).toBe('done');
  });

  it('confirms once per Idempotency-Key: a retry gets the stored answer', async () => {
    const n = await neighbourhood(app, f, 1);
    const c = await category(app, f, 9);
    const wish = await postWish(app, n.organiserToken, { orgUnitId: n.gridA.id, category: c.code, title: '帮忙', onBehalfOf: { name: '吴姐', contact: '3楼' } });
    await moveOk(app, n.volunteers[0]!.token, wish.id, 'take');
    await moveOk(app, n.volunteers[0]!.token, wish.id, 'done');
    const headers = { 'idempotency-key': key() };
    const first = await move(app, n.organiserToken, wish.id, 'confirm', { note: '好' }, headers);
    const retry = await move(app, n.organiserToken, wish.id, 'confirm', { note: '好' }, headers);
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect((await move(app, n.organiserToken, wish.id, 'confirm', { note: '不同' }, headers)).status).toBe(422);
  });
});

describe('who sees what', () => {
  it('shows volunteers the open wishes of their community without contacts, organisers their subtree with them, admins all', async () => {
    const n = await neighbourhood(app, f, 3);
    const elsewhere = await neighbourhood(app, f, 1);
    const c = await category(app, f);
    const [poster, neighbour, taker] = n.volunteers;
    const contact = `1380${Date.now() % 10_000_000}`.padEnd(11, '7');
    const onBehalf = await postWish(app, n.organiserToken, { orgUnitId: n.gridB.id, category: c.code, title: '帮忙代取药', onBehalfOf: { name: '刘奶奶', contact } });
    const own = await postWish(app, poster!.token, { orgUnitId: n.gridA.id, category: c.code, title: '帮我修门锁' });

    // Every answer given to a volunteer other than the taker, to search for contacts at the end.
    const answers: string[] = [];
    const volunteerTokens = new Set([neighbour!.token, elsewhere.volunteers[0]!.token]);
    const get = async (path: string, token: string) => {
      const res = await app.request('GET', path, { token });
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
      if (volunteerTokens.has(token)) answers.push(JSON.stringify(res.body));
      return res.body;
    };
    const wall = await get('/v1/wishes?limit=200', neighbour!.token);
    expect(wall.items.map((w: { id: string }) => w.id)).toEqual(expect.arrayContaining([onBehalf.id, own.id]));
    const seen = wall.items.find((w: { id: string }) => w.id === onBehalf.id);
    expect(seen.onBehalfOf).toEqual({ name: '刘奶奶' });
    expect(seen.requester).toBeUndefined();
    expect(wall.items.find((w: { id: string }) => w.id === own.id).requester).toBeUndefined();
    expect((await get(`/v1/wishes/${onBehalf.id}`, neighbour!.token)).onBehalfOf).toEqual({ name: '刘奶奶' });

    // Another community sees none of them.
    const far = await get('/v1/wishes?limit=200', elsewhere.volunteers[0]!.token);
    expect(far.items.map((w: { id: string }) => w.id)).not.toContain(onBehalf.id);
    expect((await get('/v1/wishes?limit=200', elsewhere.organiserToken)).items.map((w: { id: string }) => w.id)).not.toContain(onBehalf.id);

    // Organisers in scope and admins see the contact.
    const desk = await get(`/v1/wishes?orgUnitId=${n.community.id}&limit=200`, n.organiserToken);
    expect(desk.items.find((w: { id: string }) => w.id === onBehalf.id).onBehalfOf).toEqual({ name: '刘奶奶', contact });
    expect((await get(`/v1/wishes/${onBehalf.id}`, f.adminToken)).onBehalfOf.contact).toBe(contact);
    expect((await app.request('GET', `/v1/wishes?orgUnitId=${n.community.id}`, { token: elsewhere.organiserToken })).status).toBe(404);

    // Once taken, only the taker (and staff) see the contact; the wall no longer shows it.
    const taken = await moveOk(app, taker!.token, onBehalf.id, 'take');
    expect(taken.onBehalfOf.contact).toBe(contact);
    const afterTake = await get('/v1/wishes?limit=200', neighbour!.token);
    expect(afterTake.items.map((w: { id: string }) => w.id)).not.toContain(onBehalf.id);
    const direct = await get(`/v1/wishes/${onBehalf.id}`, neighbour!.token);
    expect(direct.status).toBe('taken');
    await get('/v1/wishes?status=taken&limit=200', neighbour!.token);
    await get(`/v1/wishes?mine=taken`, neighbour!.token);
    const takerList = await get('/v1/wishes?mine=taken', taker!.token);
    expect(takerList.items.map((w: { id: string }) => w.id)).toEqual([onBehalf.id]);
    expect(takerList.items[0].onBehalfOf.contact).toBe(contact);

    // Contacts never appear in another volunteer's answer: neither the resident's nor the poster's phone.
    const posterPhone = (await app.request('GET', `/v1/volunteers/${poster!.id}`, { token: f.adminToken })).body.phone as string;
    expect(answers.length).toBeGreaterThanOrEqual(6);
    for (const text of answers) {
      expect(text).not.toContain(contact);
      expect(text).not.toContain(posterPhone);
    }
  });

  it('filters by unit, state, category and mine, and pages by cursor', async () => {
    const n = await neighbourhood(app, f, 2);
    const c1 = await category(app, f);
    const c2 = await category(app, f);
    const [a, b] = n.volunteers;
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await postWish(app, a!.token, { orgUnitId: i % 2 ? n.gridB.id : n.gridA.id, category: i < 3 ? c1.code : c2.code, title: `心愿 ${i}` }));
    await moveOk(app, b!.token, made[0].id, 'take');
    const ids = async (query: string, token = n.organiserToken) => {
      const res = await app.request('GET', `/v1/wishes?${query}`, { token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.items.map((w: { id: string }) => w.id);
    };
    expect(await ids(`orgUnitId=${n.gridB.id}`)).toEqual([made[3].id, made[1].id]);
    expect(await ids(`orgUnitId=${n.community.id}&category=${c2.code}`)).toEqual([made[4].id, made[3].id]);
    expect(await ids(`orgUnitId=${n.community.id}&status=taken`)).toEqual([made[0].id]);
    expect(await ids(`orgUnitId=${n.community.id}&status=open`)).toEqual([made[4].id, made[3].id, made[2].id, made[1].id]);
    expect(await ids('mine=taken', b!.token)).toEqual([made[0].id]);
    expect((await ids('mine=posted', a!.token)).length).toBe(5);
    expect(await ids('mine=posted')).toEqual([]);
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await app.request('GET', `/v1/wishes?orgUnitId=${n.community.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: n.organiserToken });
      pages.push(...res.body.items.map((w) => w.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(pages).toEqual(made.map((w) => w.id).reverse());
    for (const query of ['status=nope', 'limit=0', 'limit=201', 'cursor=!!', 'category=NO', 'category=no-such-category', 'mine=all', 'orgUnitId=x']) {
      const res = await app.request('GET', `/v1/wishes?${query}`, { token: n.organiserToken });
      expect(res.status, query).toBe(400);
    }
    expect((await app.request('GET', '/v1/wishes?orgUnitId=01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f', { token: f.adminToken })).status).toBe(404);
  });
});

describe('volunteer posts', () => {
  it('are assigned by admins and organisers in scope, listed with their names, and ended once', async () => {
    const n = await neighbourhood(app, f, 2);
    const elsewhere = await neighbourhood(app, f, 1);
    const [chief, other] = n.volunteers;
    const body = { volunteerId: chief!.id, orgUnitId: n.gridA.id, kind: 'building_chief' };
    expect((await app.request('POST', '/v1/volunteer-posts', { token: chief!.token, body })).status).toBe(403);
    expect((await app.request('POST', '/v1/volunteer-posts', { token: elsewhere.organiserToken, body })).status).toBe(400);
    expect((await app.request('POST', '/v1/volunteer-posts', { token: n.organiserToken, body: { ...body, orgUnitId: elsewhere.gridA.id } })).status).toBe(403);
    expect((await app.request('POST', '/v1/volunteer-posts', { token: n.organiserToken, body: { ...body, kind: 'mayor' } })).status).toBe(400);
    const created = await app.request('POST', '/v1/volunteer-posts', { token: n.organiserToken, body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ volunteerId: chief!.id, volunteerName: chief!.name, orgUnitId: n.gridA.id, kind: 'building_chief', kindName: '楼栋长', active: true, endedAt: null });
    expect((await app.request('POST', '/v1/volunteer-posts', { token: f.adminToken, body })).status).toBe(409);
    const grid = await app.request('POST', '/v1/volunteer-posts', { token: f.adminToken, body: { volunteerId: chief!.id, orgUnitId: n.gridA.id, kind: 'grid_worker' } });
    expect(grid.body.kindName).toBe('网格员');
    // Volunteer answers, single and listed, show the posts held.
    const held = [
      { id: created.body.id, orgUnitId: n.gridA.id, kind: 'building_chief', kindName: '楼栋长' },
      { id: grid.body.id, orgUnitId: n.gridA.id, kind: 'grid_worker', kindName: '网格员' },
    ];
    expect((await app.request('GET', `/v1/volunteers/${chief!.id}`, { token: chief!.token })).body.posts).toEqual(held);
    const listed = await app.request('GET', `/v1/volunteers?orgUnitId=${n.community.id}`, { token: n.organiserToken });
    expect(listed.body.items.find((v: { id: string }) => v.id === chief!.id).posts).toEqual(held);
    expect(listed.body.items.find((v: { id: string }) => v.id === other!.id).posts).toEqual([]);
    const list = await app.request('GET', `/v1/volunteer-posts?orgUnitId=${n.community.id}`, { token: other!.token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((p: { id: string }) => p.id)).toEqual([created.body.id, grid.body.id]);
    expect((await app.request('GET', '/v1/volunteer-posts', { token: elsewhere.volunteers[0]!.token })).body.items.map((p: { id: string }) => p.id)).not.toContain(created.body.id);
    expect((await app.request('POST', `/v1/volunteer-posts/${created.body.id}/end`, { token: elsewhere.organiserToken })).status).toBe(404);
    const ended = await app.request('POST', `/v1/volunteer-posts/${created.body.id}/end`, { token: n.organiserToken });
    expect(ended.body).toMatchObject({ active: false, endedBy: { role: 'organiser', id: n.organiser.id } });
    expect((await app.request('POST', `/v1/volunteer-posts/${created.body.id}/end`, { token: f.adminToken })).body.endedAt).toBe(ended.body.endedAt);
    expect((await app.request('GET', `/v1/volunteer-posts?volunteerId=${chief!.id}`, { token: f.adminToken })).body.items.map((p: { kind: string }) => p.kind)).toEqual(['grid_worker']);
    expect((await app.request('GET', `/v1/volunteer-posts?volunteerId=${chief!.id}&includeEnded=true`, { token: f.adminToken })).body.items).toHaveLength(2);
    // Held again after it ended: a new post.
    expect((await app.request('POST', '/v1/volunteer-posts', { token: n.organiserToken, body })).status).toBe(201);
  });

  it("offer a new wish in their unit to its post holders first, for the configured minutes", async () => {
    const n = await neighbourhood(app, f, 3);
    const c = await category(app, f);
    const [chief, neighbour, poster] = n.volunteers;
    const post = await app.request('POST', '/v1/volunteer-posts', { token: n.organiserToken, body: { volunteerId: chief!.id, orgUnitId: n.gridB.id, kind: 'unit_chief' } });
    expect(post.status).toBe(201);
    const wish = await postWish(app, poster!.token, { orgUnitId: n.gridB.id, category: c.code, title: '帮忙换煤气' });
    expect(wish.offeredToPostHolders).toBe(true);
    const window = Date.parse(wish.priorityUntil) - Date.parse(wish.createdAt);
    expect(window).toBe(5 * minute);
    const refused = await move(app, neighbour!.token, wish.id, 'take');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'post_holder_window', status: 409, availableAt: wish.priorityUntil });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await moveOk(app, chief!.token, wish.id, 'take')).takerId).toBe(chief!.id);

    // A unit without post holders opens to everyone at once.
    const plain = await postWish(app, poster!.token, { orgUnitId: n.gridA.id, category: c.code, title: '帮忙' });
    expect(plain).toMatchObject({ priorityUntil: null, offeredToPostHolders: false });
    expect((await moveOk(app, neighbour!.token, plain.id, 'take')).status).toBe('taken');

    // When the window has run out (five minutes later), anyone in scope may take it.
    const second = await postWish(app, poster!.token, { orgUnitId: n.gridB.id, category: c.code, title: '再帮一次' });
    const actor = { role: 'volunteer' as const, id: neighbour!.id, orgUnitId: neighbour!.orgUnitId };
    const afterWindow = await takeWish(app.deps, actor, second.id, { at: new Date(Date.parse(second.priorityUntil) + 1000) });
    expect(afterWindow.takerId).toBe(neighbour!.id);

    // The post holder's own wish opens no window of its own.
    const chiefsOwn = await postWish(app, chief!.token, { orgUnitId: n.gridB.id, category: c.code, title: '楼栋长自己的事' });
    expect(chiefsOwn.priorityUntil).toBeNull();
  });

  it('let a post holder see and take the wishes of its unit beyond its own community', async () => {
    const n = await neighbourhood(app, f, 1);
    const elsewhere = await neighbourhood(app, f, 1);
    const c = await category(app, f);
    const holder = n.volunteers[0]!;
    const wish = await postWish(app, elsewhere.volunteers[0]!.token, { orgUnitId: elsewhere.gridA.id, category: c.code, title: '帮忙' });
    expect((await app.request('GET', `/v1/wishes/${wish.id}`, { token: holder.token })).status).toBe(404);
    expect((await app.request('POST', '/v1/volunteer-posts', { token: f.adminToken, body: { volunteerId: holder.id, orgUnitId: elsewhere.gridA.id, kind: 'block_chief' } })).status).toBe(201);
    const wall = await app.request('GET', '/v1/wishes', { token: holder.token });
    expect(wall.body.items.map((w: { id: string }) => w.id)).toContain(wish.id);
    expect((await moveOk(app, holder.token, wish.id, 'take')).takerId).toBe(holder.id);
  });
});

describe('expiry', () => {
  it('reads a wish still open after neededBy as expired at once, refuses to take it, and the sweeper records it', async () => {
    const n = await neighbourhood(app, f, 2);
    const c = await category(app, f);
    const [poster, v] = n.volunteers;
    const actor = { role: 'volunteer' as const, id: poster!.id, orgUnitId: poster!.orgUnitId };
    const posted = await postWishVerb(
      app.deps,
      actor,
      { orgUnitId: n.gridA.id, category: c.code, title: '昨天的事', neededBy: new Date(Date.now() - 60 * minute).toISOString() },
      undefined,
      { at: new Date(Date.now() - 3 * 60 * minute) },
    );
    const read = await app.request('GET', `/v1/wishes/${posted.body.id}`, { token: poster!.token });
    expect(read.body.status).toBe('expired');
    const take = await move(app, v!.token, posted.body.id, 'take');
    expect(take.status).toBe(409);
    expect(take.body).toMatchObject({ code: 'invalid_transition', wishStatus: 'expired' });
    expect((await move(app, poster!.token, posted.body.id, 'cancel')).body.wishStatus).toBe('expired');
    const listed = await app.request('GET', `/v1/wishes?orgUnitId=${n.community.id}&status=expired`, { token: n.organiserToken });
    expect(listed.body.items.map((w: { id: string }) => w.id)).toEqual([posted.body.id]);
    expect((await app.request('GET', `/v1/wishes?orgUnitId=${n.community.id}&status=open`, { token: n.organiserToken })).body.items).toEqual([]);
    // (Another test file may sweep the same database at the same moment: the outcome is what counts.)
    await sweepExpiredWishes(app.deps);
    const after = await app.request('GET', `/v1/wishes/${posted.body.id}`, { token: n.organiserToken });
    expect(after.body).toMatchObject({ status: 'expired', version: 2 });
    expect(after.body.history.at(-1)).toMatchObject({ from: 'open', to: 'expired', actor: { role: 'system', id: 'wish-expiry' } });
    const stored = await sql<{ status: string }>`select status from wishes where id = ${posted.body.id}`.execute(app.deps.db);
    expect(stored.rows[0]?.status).toBe('expired');
  });
});

describe('a near neededBy', () => {
  it('is accepted, and the wish reads as expired as soon as it passes', async () => {
    const n = await neighbourhood(app, f, 2);
    const c = await category(app, f);
    const wish = await postWish(app, n.volunteers[0]!.token, { orgUnitId: n.gridA.id, category: c.code, title: '马上要', neededBy: later(1500) });
    expect(wish.status).toBe('open');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await app.request('GET', `/v1/wishes/${wish.id}`, { token: n.volunteers[1]!.token })).body.status).toBe('expired');
    expect((await move(app, n.volunteers[1]!.token, wish.id, 'take')).body).toMatchObject({ code: 'invalid_transition', wishStatus: 'expired' });
  });
});

describe('metrics', () => {
  it('count wishes by state from counters that always equal the rows', async () => {
    const n = await neighbourhood(app, f, 1);
    const c = await category(app, f);
    const wish = await postWish(app, n.volunteers[0]!.token, { orgUnitId: n.gridA.id, category: c.code, title: '数一数' });
    await moveOk(app, n.organiserToken, wish.id, 'cancel');
    const res = await fetch(`${app.baseUrl}/metrics`);
    const text = await res.text();
    const gauge = (status: string) => Number(new RegExp(`^jifen_wishes\\{status="${status}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    expect(gauge('cancelled')).toBeGreaterThanOrEqual(1);
    expect(gauge('open')).toBeGreaterThanOrEqual(0);
    const mismatch = await sql<{ status: string }>`
      with counted as (select status, sum(n)::bigint as n from wish_counts group by status),
           actual as (select status, count(*)::bigint as n from wishes group by status)
      select coalesce(c.status, a.status) as status from counted c full join actual a on a.status = c.status
       where coalesce(c.n, 0) <> coalesce(a.n, 0)`.execute(app.deps.db);
    expect(mismatch.rows).toEqual([]);
  });
});

describe('logs', () => {
  it('never carry a contact, whatever the request does', async () => {
    const lines: string[] = [];
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'jifen-wish-logs-'));
    const config = loadConfig({ DATABASE_URL: inject('databaseUrl'), DATA_DIR: dataDir, LOG_LEVEL: 'trace', MIGRATE_ON_START: 'false' });
    const deps = await buildDeps(config, createLogger('trace', { write: (line: string) => void lines.push(line) }));
    try {
      const logged = buildApp(deps);
      const n = await neighbourhood(app, f, 2);
      const c = await category(app, f);
      const call = async (method: string, url: string, role: 'admin' | 'organiser' | 'volunteer', sub: string, body?: unknown) => {
        const token = await deps.accessTokens.mint({ role, sub });
        const res = await logged.request(url, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
        return { status: res.status, body: (await res.json()) as any };
      };
      const contact = '13512345678';
      const wish = await call('POST', '/v1/wishes', 'organiser', n.organiser.id, { orgUnitId: n.gridA.id, category: c.code, title: '帮忙', onBehalfOf: { name: '冯奶奶', contact } });
      expect(wish.status).toBe(201);
      expect((await call('POST', '/v1/wishes', 'organiser', n.organiser.id, { orgUnitId: n.gridA.id, category: c.code, title: '帮忙', onBehalfOf: { name: '冯奶奶', contact: `${contact} ${'x'.repeat(300)}` } })).status).toBe(400);
      expect((await call('POST', '/v1/wishes', 'volunteer', n.volunteers[0]!.id, { orgUnitId: n.gridA.id, category: c.code, title: '帮忙', onBehalfOf: { name: '冯奶奶', contact } })).status).toBe(403);
      expect((await call('POST', `/v1/wishes/${wish.body.id}/take`, 'volunteer', n.volunteers[0]!.id)).status).toBe(200);
      expect((await call('POST', `/v1/wishes/${wish.body.id}/take`, 'volunteer', n.volunteers[1]!.id)).status).toBe(409);
      expect((await call('GET', `/v1/wishes?orgUnitId=${n.community.id}`, 'organiser', n.organiser.id)).status).toBe(200);
      expect(lines.filter((l) => l.includes('"msg":"request"')).length).toBeGreaterThanOrEqual(6);
      for (const line of lines) expect(line).not.toContain(contact);
    } finally {
      deps.principals.close();
      await deps.database.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
