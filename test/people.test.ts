import { describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';

let app: TestApp;
let f: Factory;

useTestApp({}, (started) => ({ app, f } = started));

describe('org units', () => {
  it('creates a tree and reads it back', async () => {
    const district = await f.orgUnit(undefined, `岳塘区 ${Date.now()}`);
    const street = await f.orgUnit(district.id, '五里堆街道');
    expect(street).toMatchObject({ parentId: district.id, name: '五里堆街道', depth: 2, status: 'active' });
    const read = await app.request('GET', `/v1/org-units/${street.id}`, { token: f.adminToken });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(street);
    const children = await app.request('GET', `/v1/org-units?parentId=${district.id}`, { token: f.adminToken });
    expect(children.body.items.map((u: any) => u.id)).toEqual([street.id]);
  });

  it('rejects bad input naming each field, and unknown fields', async () => {
    const res = await app.request('POST', '/v1/org-units', { token: f.adminToken, body: { name: 5, parentId: 'nope', colour: 'red' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.code).toBe('validation_failed');
    const paths = res.body.errors.map((e: any) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'parentId']));
    expect(res.body.errors.some((e: any) => e.message.includes('colour'))).toBe(true);
  });

  it('rejects an unknown parent and a duplicate sibling name', async () => {
    const missing = await app.request('POST', '/v1/org-units', { token: f.adminToken, body: { name: 'x', parentId: '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f' } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].path).toBe('parentId');
    const parent = await f.orgUnit();
    await f.orgUnit(parent.id, '云峰社区');
    const dup = await app.request('POST', '/v1/org-units', { token: f.adminToken, body: { name: '云峰社区', parentId: parent.id } });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('conflict');
  });

  it('is created by admins only', async () => {
    const unit = await f.orgUnit();
    const organiser = await f.organiser(unit.id);
    const res = await app.request('POST', '/v1/org-units', { token: await app.token('organiser', organiser.id), body: { name: 'x', parentId: unit.id } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
  });

  it('refuses children and people under a deactivated unit', async () => {
    const unit = await f.orgUnit();
    const off = await app.request('POST', `/v1/org-units/${unit.id}/deactivate`, { token: f.adminToken });
    expect(off.status).toBe(200);
    expect(off.body.status).toBe('inactive');
    const child = await app.request('POST', '/v1/org-units', { token: f.adminToken, body: { name: 'child', parentId: unit.id } });
    expect(child.status).toBe(409);
    const vol = await app.request('POST', '/v1/volunteers', { token: f.adminToken, body: { name: 'v', orgUnitId: unit.id } });
    expect(vol.status).toBe(409);
    expect(vol.body.code).toBe('inactive');
  });

  it('pages with a keyset cursor and rejects a forged cursor', async () => {
    const parent = await f.orgUnit();
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await f.orgUnit(parent.id)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/org-units?parentId=${parent.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await app.request('GET', q, { token: f.adminToken });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((u: any) => u.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(made);
    const bad = await app.request('GET', '/v1/org-units?cursor=%%%', { token: f.adminToken });
    expect(bad.status).toBe(400);
    const tooBig = await app.request('GET', '/v1/org-units?limit=100000', { token: f.adminToken });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.errors[0].path).toBe('query.limit');
  });

  it('answers 404 for a missing unit', async () => {
    const res = await app.request('GET', '/v1/org-units/01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f', { token: f.adminToken });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });
});

describe('organisers and scope', () => {
  it('lets an organiser register volunteers only inside its subtree', async () => {
    const { streetA, streetB, community } = await f.tree();
    const organiser = await f.organiser(streetA.id);
    const token = await app.token('organiser', organiser.id);
    const inside = await app.request('POST', '/v1/volunteers', { token, body: { name: '张伟', orgUnitId: community.id, phone: '13800138000' } });
    expect(inside.status).toBe(201);
    expect(inside.body).toMatchObject({ name: '张伟', orgUnitId: community.id, phone: '13800138000', status: 'active' });
    const outside = await app.request('POST', '/v1/volunteers', { token, body: { name: '李娜', orgUnitId: streetB.id } });
    expect(outside.status).toBe(403);
    expect(outside.body.code).toBe('forbidden');
  });

  it('hides volunteers outside the subtree as not found', async () => {
    const { streetA, streetB, community } = await f.tree();
    const organiser = await f.organiser(streetA.id);
    const token = await app.token('organiser', organiser.id);
    const mine = await f.volunteer(community.id);
    const theirs = await f.volunteer(streetB.id);
    expect((await app.request('GET', `/v1/volunteers/${mine.id}`, { token })).status).toBe(200);
    const hidden = await app.request('GET', `/v1/volunteers/${theirs.id}`, { token });
    expect(hidden.status).toBe(404);
    expect((await app.request('POST', `/v1/volunteers/${theirs.id}/deactivate`, { token })).status).toBe(404);
  });

  it('lists only the subtree for an organiser, whatever filter it asks for', async () => {
    const { district, streetA, streetB, community } = await f.tree();
    const organiser = await f.organiser(streetA.id);
    const token = await app.token('organiser', organiser.id);
    const a = await f.volunteer(streetA.id);
    const c = await f.volunteer(community.id);
    await f.volunteer(streetB.id);
    const list = await app.request('GET', `/v1/volunteers?limit=200`, { token });
    expect(list.status).toBe(200);
    const ids = list.body.items.map((v: any) => v.id);
    expect(ids).toEqual(expect.arrayContaining([a.id, c.id]));
    for (const v of list.body.items) {
      const read = await app.request('GET', `/v1/volunteers/${v.id}`, { token });
      expect(read.status).toBe(200);
    }
    const narrowed = await app.request('GET', `/v1/volunteers?orgUnitId=${community.id}`, { token });
    expect(narrowed.body.items.map((v: any) => v.id)).toEqual([c.id]);
    const escape = await app.request('GET', `/v1/volunteers?orgUnitId=${district.id}`, { token });
    expect(escape.status).toBe(404);
    const adminView = await app.request('GET', `/v1/volunteers?orgUnitId=${district.id}`, { token: f.adminToken });
    expect(adminView.body.items).toHaveLength(3);
  });

  it('lets an organiser read organisers in its subtree but not elsewhere', async () => {
    const { streetA, streetB, community } = await f.tree();
    const boss = await f.organiser(streetA.id);
    const below = await f.organiser(community.id);
    const elsewhere = await f.organiser(streetB.id);
    const token = await app.token('organiser', boss.id);
    expect((await app.request('GET', `/v1/organisers/${below.id}`, { token })).status).toBe(200);
    expect((await app.request('GET', `/v1/organisers/${elsewhere.id}`, { token })).status).toBe(404);
    const list = await app.request('GET', '/v1/organisers', { token });
    expect(list.body.items.map((o: any) => o.id).sort()).toEqual([boss.id, below.id].sort());
    const belowToken = await app.token('organiser', below.id);
    expect((await app.request('GET', `/v1/organisers/${boss.id}`, { token: belowToken })).status).toBe(404);
  });

  it('rejects appointing organisers by non-admins and to missing units', async () => {
    const unit = await f.orgUnit();
    const organiser = await f.organiser(unit.id);
    const token = await app.token('organiser', organiser.id);
    expect((await app.request('POST', '/v1/organisers', { token, body: { name: 'x', orgUnitId: unit.id } })).status).toBe(403);
    const missing = await app.request('POST', '/v1/organisers', { token: f.adminToken, body: { name: 'x', orgUnitId: '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f' } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].path).toBe('orgUnitId');
  });

  it('stops a deactivated organiser at the door', async () => {
    const unit = await f.orgUnit();
    const organiser = await f.organiser(unit.id);
    const token = await app.token('organiser', organiser.id);
    expect((await app.request('GET', '/v1/volunteers', { token })).status).toBe(200);
    const off = await app.request('POST', `/v1/organisers/${organiser.id}/deactivate`, { token: f.adminToken });
    expect(off.body.status).toBe('inactive');
    const after = await app.request('GET', '/v1/volunteers', { token });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('unauthorized');
  });
});

describe('principal cache', () => {
  it('lets another instance notice a deactivation once its short cache entry lapses', async () => {
    const other = await startTestApp({ PRINCIPAL_CACHE_MS: '300' });
    try {
      const unit = await f.orgUnit();
      const organiser = await f.organiser(unit.id);
      const token = await other.token('organiser', organiser.id);
      expect((await other.request('GET', '/v1/volunteers', { token })).status).toBe(200);
      expect((await app.request('POST', `/v1/organisers/${organiser.id}/deactivate`, { token: f.adminToken })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await other.request('GET', '/v1/volunteers', { token })).status).toBe(401);
    } finally {
      await other.close();
    }
  });
});

describe('volunteers', () => {
  it('see themselves, with their phone, and nobody else', async () => {
    const unit = await f.orgUnit();
    const me = await f.volunteer(unit.id, { phone: '13912345678' });
    const other = await f.volunteer(unit.id);
    const token = await app.token('volunteer', me.id);
    const self = await app.request('GET', `/v1/volunteers/${me.id}`, { token });
    expect(self.status).toBe(200);
    expect(self.body.phone).toBe('13912345678');
    expect((await app.request('GET', `/v1/volunteers/${other.id}`, { token })).status).toBe(404);
    expect((await app.request('GET', '/v1/volunteers', { token })).status).toBe(403);
    expect((await app.request('POST', '/v1/volunteers', { token, body: { name: 'x', orgUnitId: unit.id } })).status).toBe(403);
  });

  it('are not visible to merchants', async () => {
    const unit = await f.orgUnit();
    const vol = await f.volunteer(unit.id);
    const shop = await f.merchant(unit.id);
    const token = await app.token('merchant', shop.id);
    expect((await app.request('GET', `/v1/volunteers/${vol.id}`, { token })).status).toBe(403);
  });

  it('validate the phone number', async () => {
    const unit = await f.orgUnit();
    const res = await app.request('POST', '/v1/volunteers', { token: f.adminToken, body: { name: 'x', orgUnitId: unit.id, phone: 'call me' } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('phone');
  });

  it('lose access once deactivated, keeping their record', async () => {
    const unit = await f.orgUnit();
    const vol = await f.volunteer(unit.id);
    const token = await app.token('volunteer', vol.id);
    const off = await app.request('POST', `/v1/volunteers/${vol.id}/deactivate`, { token: f.adminToken });
    expect(off.body.status).toBe('inactive');
    expect((await app.request('GET', `/v1/volunteers/${vol.id}`, { token })).status).toBe(401);
    expect((await app.request('GET', `/v1/volunteers/${vol.id}`, { token: f.adminToken })).body.status).toBe('inactive');
  });
});

describe('merchants', () => {
  it('are signed up by admins and visible to every role', async () => {
    const unit = await f.orgUnit();
    const shop = await f.merchant(unit.id, '云峰社区便民理发店');
    expect(shop).toMatchObject({ name: '云峰社区便民理发店', orgUnitId: unit.id, status: 'active' });
    const vol = await f.volunteer(unit.id);
    const token = await app.token('volunteer', vol.id);
    expect((await app.request('GET', `/v1/merchants/${shop.id}`, { token })).status).toBe(200);
    const list = await app.request('GET', `/v1/merchants?orgUnitId=${unit.id}`, { token });
    expect(list.body.items.map((m: any) => m.id)).toEqual([shop.id]);
    expect((await app.request('POST', '/v1/merchants', { token, body: { name: 'x' } })).status).toBe(403);
    const shopToken = await app.token('merchant', shop.id);
    expect((await app.request('POST', `/v1/merchants/${shop.id}/deactivate`, { token: shopToken })).status).toBe(403);
    expect((await app.request('POST', `/v1/merchants/${shop.id}/deactivate`, { token: f.adminToken })).body.status).toBe('inactive');
    expect((await app.request('GET', `/v1/merchants/${shop.id}`, { token: shopToken })).status).toBe(401);
  });
});
