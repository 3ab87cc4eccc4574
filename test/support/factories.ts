import { expect } from 'vitest';
import type { TestApp } from './app.js';

let counter = 0;
const unique = (prefix: string) => `${prefix} ${process.pid}-${Date.now()}-${++counter}`;

/**
 * Small factories that create data over HTTP, as an admin, and assert it worked. Every test builds
 * what it needs; nothing depends on data another test left behind.
 */
export class Factory {
  private constructor(
    readonly app: TestApp,
    readonly adminToken: string,
  ) {}

  static async create(app: TestApp): Promise<Factory> {
    return new Factory(app, await app.token('admin', 'test-admin'));
  }

  private async post(path: string, body: unknown): Promise<any> {
    const res = await this.app.request('POST', path, { token: this.adminToken, body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  }

  orgUnit(parentId?: string, name = unique('unit')): Promise<{ id: string; name: string; parentId: string | null }> {
    return this.post('/v1/org-units', { name, ...(parentId ? { parentId } : {}) });
  }

  organiser(orgUnitId: string, name = unique('organiser')): Promise<{ id: string; orgUnitId: string }> {
    return this.post('/v1/organisers', { name, orgUnitId });
  }

  volunteer(orgUnitId: string, extra: { phone?: string; name?: string } = {}): Promise<{ id: string; orgUnitId: string; name: string }> {
    return this.post('/v1/volunteers', { name: extra.name ?? unique('volunteer'), orgUnitId, ...(extra.phone ? { phone: extra.phone } : {}) });
  }

  merchant(orgUnitId?: string, name = unique('shop')): Promise<{ id: string; name: string }> {
    return this.post('/v1/merchants', { name, ...(orgUnitId ? { orgUnitId } : {}) });
  }

  /** A district with two streets and a community under the first: the shape scope tests need. */
  async tree() {
    const district = await this.orgUnit();
    const streetA = await this.orgUnit(district.id);
    const streetB = await this.orgUnit(district.id);
    const community = await this.orgUnit(streetA.id);
    return { district, streetA, streetB, community };
  }

  /** An activity type with a fresh code and the given rule. */
  activityType(rule: { kind: 'per_hour' | 'per_unit' | 'fixed'; points: number }, code = `t${process.pid}-${Date.now()}-${++counter}`): Promise<{ id: string; code: string; rule: { id: string; version: number } }> {
    return this.post('/v1/activity-types', { code, name: `type ${code}`, rule });
  }

  /** An activity of the given type; by default it started an hour ago and ends in an hour. */
  activity(
    orgUnitId: string,
    typeCode: string,
    extra: { startsAt?: string; endsAt?: string; capacity?: number; title?: string; place?: string } = {},
  ): Promise<{ id: string; minutesMax: number; status: string; capacity: number | null }> {
    return this.post('/v1/activities', {
      title: extra.title ?? unique('activity'),
      typeCode,
      orgUnitId,
      startsAt: extra.startsAt ?? new Date(Date.now() - 3_600_000).toISOString(),
      endsAt: extra.endsAt ?? new Date(Date.now() + 3_600_000).toISOString(),
      ...(extra.capacity !== undefined ? { capacity: extra.capacity } : {}),
      ...(extra.place !== undefined ? { place: extra.place } : {}),
    });
  }

  /** A benefit pack published by an admin for the merchant; by default 30 points, unlimited stock, no window. */
  pack(
    merchantId: string,
    extra: { points?: number; stock?: number; perVolunteerLimit?: number; validFrom?: string; validUntil?: string; minStarLevel?: number; title?: string } = {},
  ): Promise<{ id: string; merchantId: string; points: number; stock: number | null; stockLeft: number | null; status: string }> {
    return this.post('/v1/packs', { merchantId, title: extra.title ?? unique('pack'), points: 30, ...extra });
  }

  /**
   * Every pack's stock is conserved (stock left + claims outstanding + claims redeemed = initial
   * stock, counting the redemption rows), and its claimed counter agrees with those rows. Checked after every redemption test file.
   */
  async expectPacksSound(): Promise<void> {
    const { sql } = await import('kysely');
    const broken = await sql<{ id: string }>`
      select p.id from packs p
        left join lateral (
          select count(*) filter (where status = 'issued') as issued, count(*) filter (where status = 'redeemed') as redeemed
            from redemptions r where r.pack_id = p.id
        ) c on true
       where (p.stock_initial is not null and p.stock_left + c.issued + c.redeemed <> p.stock_initial)
          or p.claimed <> c.issued + c.redeemed`.execute(this.app.deps.db);
    expect(broken.rows).toEqual([]);
  }
}
