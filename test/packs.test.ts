import { describe, expect, it } from 'vitest';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';

let app: TestApp;
let f: Factory;

useTestApp({ ledgerSound: true, packsSound: true }, (started) => ({ app, f } = started));

const hour = 3_600_000;

describe('POST /v1/packs', () => {
  it('lets an admin publish a pack for a merchant', async () => {
    const shop = await f.merchant();
    const res = await app.request('POST', '/v1/packs', {
      token: f.adminToken,
      body: { merchantId: shop.id, title: '免费理发', description: '一次', points: 40, stock: 10, perVolunteerLimit: 2, minStarLevel: 1 },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ merchantId: shop.id, title: '免费理发', description: '一次', points: 40, stock: 10, stockLeft: 10, issued: 0, redeemed: 0, perVolunteerLimit: 2, minStarLevel: 1, status: 'active' });
  });

  it('lets the merchant publish its own packs, and no one else', async () => {
    const shop = await f.merchant();
    const other = await f.merchant();
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const own = await app.request('POST', '/v1/packs', { token: await app.token('merchant', shop.id), body: { merchantId: shop.id, title: 'meal', points: 25 } });
    expect(own.status).toBe(201);
    expect(own.body.stock).toBeNull();
    const foreign = await app.request('POST', '/v1/packs', { token: await app.token('merchant', other.id), body: { merchantId: shop.id, title: 'meal', points: 25 } });
    expect(foreign.status).toBe(403);
    const volunteer = await app.request('POST', '/v1/packs', { token: await app.token('volunteer', v.id), body: { merchantId: shop.id, title: 'meal', points: 25 } });
    expect(volunteer.status).toBe(403);
  });

  it.each([
    ['zero points', { points: 0 }, 'points'],
    ['too many points for a token', { points: 100_000 }, 'points'],
    ['negative stock', { stock: -1 }, 'stock'],
    ['a window that ends before it starts', { validFrom: new Date(Date.now() + hour).toISOString(), validUntil: new Date().toISOString() }, 'validUntil'],
    ['an unknown field', { colour: 'red' }, ''],
    ['six stars', { minStarLevel: 6 }, 'minStarLevel'],
  ])('refuses %s', async (_name, extra, path) => {
    const shop = await f.merchant();
    const res = await app.request('POST', '/v1/packs', { token: f.adminToken, body: { merchantId: shop.id, title: 't', points: 10, ...extra } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('refuses an unknown merchant and an inactive one', async () => {
    const missing = await app.request('POST', '/v1/packs', { token: f.adminToken, body: { merchantId: '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f', title: 't', points: 10 } });
    expect(missing.status).toBe(400);
    const shop = await f.merchant();
    expect((await app.request('POST', `/v1/merchants/${shop.id}/deactivate`, { token: f.adminToken })).status).toBe(200);
    const inactive = await app.request('POST', '/v1/packs', { token: f.adminToken, body: { merchantId: shop.id, title: 't', points: 10 } });
    expect(inactive.status).toBe(409);
    expect(inactive.body.code).toBe('inactive');
  });
});

describe('GET /v1/packs (the catalogue)', () => {
  it('lists only packs that can be claimed now, with stock left', async () => {
    const shop = await f.merchant();
    const live = await f.pack(shop.id, { stock: 5 });
    const unlimited = await f.pack(shop.id);
    await f.pack(shop.id, { stock: 0 });
    await f.pack(shop.id, { validFrom: new Date(Date.now() + hour).toISOString() });
    await f.pack(shop.id, { validUntil: new Date(Date.now() - 1000).toISOString(), validFrom: new Date(Date.now() - hour).toISOString() });
    const paused = await f.pack(shop.id);
    expect((await app.request('PATCH', `/v1/packs/${paused.id}`, { token: f.adminToken, body: { status: 'paused' } })).status).toBe(200);
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const res = await app.request('GET', `/v1/packs?merchantId=${shop.id}`, { token: await app.token('volunteer', v.id) });
    expect(res.status).toBe(200);
    expect(res.body.items.map((p: { id: string }) => p.id)).toEqual([live.id, unlimited.id]);
    expect(res.body.items[0].stockLeft).toBe(5);
  });

  it('pages with a cursor and rejects a forged one', async () => {
    const shop = await f.merchant();
    const packs = [await f.pack(shop.id), await f.pack(shop.id), await f.pack(shop.id)];
    const first = await app.request('GET', `/v1/packs?merchantId=${shop.id}&limit=2`, { token: f.adminToken });
    expect(first.body.items).toHaveLength(2);
    const second = await app.request('GET', `/v1/packs?merchantId=${shop.id}&limit=2&cursor=${first.body.nextCursor}`, { token: f.adminToken });
    expect(second.body.items.map((p: { id: string }) => p.id)).toEqual([packs[2]?.id]);
    expect(second.body.nextCursor).toBeNull();
    expect((await app.request('GET', '/v1/packs?cursor=nonsense', { token: f.adminToken })).status).toBe(400);
  });

  it('needs authentication', async () => {
    expect((await app.request('GET', '/v1/packs')).status).toBe(401);
  });
});

describe('PATCH /v1/packs/{id}', () => {
  it('pauses, resumes and retires a pack; a retired pack stays retired', async () => {
    const shop = await f.merchant();
    const pack = await f.pack(shop.id);
    const merchant = await app.token('merchant', shop.id);
    expect((await app.request('PATCH', `/v1/packs/${pack.id}`, { token: merchant, body: { status: 'paused', title: 'new title' } })).body).toMatchObject({ status: 'paused', title: 'new title' });
    expect((await app.request('PATCH', `/v1/packs/${pack.id}`, { token: merchant, body: { status: 'active' } })).body.status).toBe('active');
    expect((await app.request('PATCH', `/v1/packs/${pack.id}`, { token: merchant, body: { status: 'retired' } })).body.status).toBe('retired');
    const again = await app.request('PATCH', `/v1/packs/${pack.id}`, { token: merchant, body: { status: 'active' } });
    expect(again.status).toBe(409);
  });

  it('is refused to other merchants and for unknown packs', async () => {
    const shop = await f.merchant();
    const other = await f.merchant();
    const pack = await f.pack(shop.id);
    expect((await app.request('PATCH', `/v1/packs/${pack.id}`, { token: await app.token('merchant', other.id), body: { status: 'paused' } })).status).toBe(403);
    expect((await app.request('PATCH', '/v1/packs/01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f', { token: f.adminToken, body: { status: 'paused' } })).status).toBe(404);
    expect((await app.request('PATCH', `/v1/packs/${pack.id}`, { token: f.adminToken, body: {} })).status).toBe(400);
  });

  it('GET /v1/packs/{id} reads a pack of any status', async () => {
    const shop = await f.merchant();
    const pack = await f.pack(shop.id);
    await app.request('PATCH', `/v1/packs/${pack.id}`, { token: f.adminToken, body: { status: 'paused' } });
    const res = await app.request('GET', `/v1/packs/${pack.id}`, { token: await app.token('merchant', shop.id) });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('paused');
  });
});

it('the OpenAPI document lists the pack, redemption and settlement routes', async () => {
  const res = await app.request('GET', '/openapi.json');
  const paths = Object.keys(res.body.paths);
  for (const p of ['/v1/packs', '/v1/packs/{id}', '/v1/redemptions', '/v1/redemptions/redeem', '/v1/redemptions/{id}', '/v1/redemptions/{id}/cancel', '/v1/redemptions/{id}/qr.svg', '/v1/merchants/{id}/redemptions', '/v1/merchants/{id}/settlement', '/v1/merchants/{id}/settlements', '/v1/volunteers/{id}/redemptions']) {
    expect(paths).toContain(p);
  }
});

describe('GET /v1/merchants/{id}/packs', () => {
  it("lists every pack of a merchant, paused, retired and out of window included, to the merchant and admins", async () => {
    const shop = await f.merchant();
    const other = await f.merchant();
    const active = await f.pack(shop.id, { title: 'active' });
    const paused = await f.pack(shop.id, { title: 'paused' });
    const retired = await f.pack(shop.id, { title: 'retired' });
    const later = await f.pack(shop.id, { title: 'later', validFrom: new Date(Date.now() + 30 * 24 * hour).toISOString() });
    await f.pack(other.id, { title: "another shop's" });
    for (const [pack, status] of [
      [paused, 'paused'],
      [retired, 'retired'],
    ] as const) {
      expect((await app.request('PATCH', `/v1/packs/${pack.id}`, { token: f.adminToken, body: { status } })).status).toBe(200);
    }
    const all = await app.request('GET', `/v1/merchants/${shop.id}/packs`, { token: f.adminToken });
    expect(all.status).toBe(200);
    expect(all.body.items.map((p: { id: string }) => p.id)).toEqual([active.id, paused.id, retired.id, later.id]);
    expect(all.body.nextCursor).toBeNull();
    // The catalogue shows only what can be claimed now.
    const catalogue = await app.request('GET', `/v1/packs?merchantId=${shop.id}`, { token: f.adminToken });
    expect(catalogue.body.items.map((p: { id: string }) => p.id)).toEqual([active.id]);

    const own = await app.request('GET', `/v1/merchants/${shop.id}/packs?status=paused`, { token: await app.token('merchant', shop.id) });
    expect(own.body.items.map((p: { id: string }) => p.id)).toEqual([paused.id]);
    const first = await app.request('GET', `/v1/merchants/${shop.id}/packs?limit=3`, { token: f.adminToken });
    const rest = await app.request('GET', `/v1/merchants/${shop.id}/packs?limit=3&cursor=${first.body.nextCursor}`, { token: f.adminToken });
    expect([...first.body.items, ...rest.body.items].map((p: { id: string }) => p.id)).toEqual([active.id, paused.id, retired.id, later.id]);

    expect((await app.request('GET', `/v1/merchants/${shop.id}/packs`, { token: await app.token('merchant', other.id) })).status).toBe(404);
    const unit = await f.orgUnit();
    expect((await app.request('GET', `/v1/merchants/${shop.id}/packs`, { token: await app.token('organiser', (await f.organiser(unit.id)).id) })).status).toBe(403);
    expect((await app.request('GET', '/v1/merchants/01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f/packs', { token: f.adminToken })).status).toBe(404);
    const bad = await app.request('GET', `/v1/merchants/${shop.id}/packs?status=gone`, { token: f.adminToken });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
  });
});
