import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { award, key } from './support/ledger.js';
import { useTestApp } from './support/setup.js';

/**
 * The authorization matrix, generated from the OpenAPI document: every /v1 operation is called
 * anonymously, with an expired token, and as each role, against real resources. An operation missing
 * from `allowed` fails the test, so a new route cannot escape the matrix.
 *
 * `allowed` lists the roles that may succeed at all (possibly only in scope or on their own data);
 * every other role must be refused (never 2xx). "self" marks operations on one volunteer's data, for
 * which another volunteer must be refused too.
 */
type Role = 'admin' | 'organiser' | 'volunteer' | 'merchant';
const everyone: Role[] = ['admin', 'organiser', 'volunteer', 'merchant'];
const staff: Role[] = ['admin', 'organiser'];
const allowed: Record<string, { roles: Role[]; self?: boolean; public?: boolean }> = {
  postV1OrgUnits: { roles: ['admin'] },
  getV1OrgUnits: { roles: everyone },
  getV1OrgUnitsId: { roles: everyone },
  postV1OrgUnitsIdDeactivate: { roles: ['admin'] },
  postV1Organisers: { roles: ['admin'] },
  getV1Organisers: { roles: staff },
  getV1OrganisersId: { roles: staff },
  postV1OrganisersIdDeactivate: { roles: ['admin'] },
  postV1Volunteers: { roles: staff },
  getV1Volunteers: { roles: staff },
  getV1VolunteersId: { roles: ['admin', 'organiser', 'volunteer'], self: true },
  postV1VolunteersIdDeactivate: { roles: staff },
  postV1Merchants: { roles: ['admin'] },
  getV1Merchants: { roles: everyone },
  getV1MerchantsId: { roles: everyone },
  postV1MerchantsIdDeactivate: { roles: ['admin'] },
  postV1Awards: { roles: staff },
  postV1Adjustments: { roles: ['admin'] },
  postV1TransactionsIdReverse: { roles: ['admin'] },
  getV1TransactionsId: { roles: ['admin'] },
  getV1VolunteersIdBalance: { roles: ['admin', 'organiser', 'volunteer'], self: true },
  getV1VolunteersIdLedger: { roles: ['admin', 'organiser', 'volunteer'], self: true },
  getV1LedgerVerify: { roles: ['admin'] },
  getV1LedgerTotals: { roles: ['admin'] },
  getV1LedgerDigest: { roles: ['admin'] },
  postV1ActivityTypes: { roles: ['admin'] },
  getV1ActivityTypes: { roles: everyone },
  getV1ActivityTypesCode: { roles: everyone },
  getV1ActivityTypesCodeRules: { roles: everyone },
  postV1ActivityTypesCodeRules: { roles: ['admin'] },
  postV1Activities: { roles: staff },
  getV1Activities: { roles: everyone },
  getV1ActivitiesId: { roles: everyone },
  postV1ActivitiesIdClose: { roles: staff },
  postV1ActivitiesIdCancel: { roles: staff },
  getV1ActivitiesIdCheckInCode: { roles: staff },
  getV1ActivitiesIdCheckInCodeQrSvg: { roles: staff },
  postV1ActivitiesIdSignup: { roles: ['volunteer'] },
  postV1ActivitiesIdWithdraw: { roles: ['volunteer'] },
  getV1ActivitiesIdSignups: { roles: staff },
  postV1ActivitiesIdRecords: { roles: staff },
  getV1ActivitiesIdRecords: { roles: staff },
  postV1ActivitiesIdRecordsApprove: { roles: staff },
  postV1ActivitiesIdRecordsReject: { roles: staff },
  postV1RecordsIdApprove: { roles: staff },
  postV1RecordsIdReject: { roles: staff },
  postV1RecordsIdCorrections: { roles: staff },
  getV1RecordsId: { roles: ['admin', 'organiser', 'volunteer'], self: true },
  postV1ActivitiesIdCheckIn: { roles: ['volunteer'] },
  postV1ActivitiesIdCheckOut: { roles: ['volunteer'] },
  getV1VolunteersIdRecords: { roles: ['admin', 'organiser', 'volunteer'], self: true },
  getV1VolunteersIdCertificate: { roles: ['admin', 'organiser', 'volunteer'], self: true },
  postV1Packs: { roles: ['admin', 'merchant'] },
  getV1Packs: { roles: everyone },
  getV1PacksId: { roles: everyone },
  patchV1PacksId: { roles: ['admin', 'merchant'] },
  postV1Redemptions: { roles: ['volunteer'] },
  postV1RedemptionsRedeem: { roles: ['merchant'] },
  postV1RedemptionsIdCancel: { roles: ['admin', 'volunteer'], self: true },
  getV1RedemptionsId: { roles: ['admin', 'volunteer', 'merchant'], self: true },
  getV1RedemptionsIdQrSvg: { roles: ['volunteer'], self: true },
  getV1VolunteersIdRedemptions: { roles: ['admin', 'volunteer'], self: true },
  getV1MerchantsIdRedemptions: { roles: ['admin', 'merchant'] },
  getV1MerchantsIdSettlement: { roles: ['admin', 'merchant'] },
  postV1MerchantsIdSettlements: { roles: ['admin'] },
  getV1ReportsLeaderboard: { roles: ['admin', 'organiser', 'volunteer'] },
  getV1ReportsSummary: { roles: staff },
  getV1ActivitiesIdReport: { roles: staff },
  getV1VolunteersIdStatement: { roles: ['admin', 'organiser', 'volunteer'], self: true },
  getV1MerchantsIdStatement: { roles: ['admin', 'merchant'] },
  getV1ReportsLedgerExport: { roles: ['admin'] },
  postV1WishCategories: { roles: ['admin'] },
  getV1WishCategories: { roles: everyone },
  getV1WishCategoriesCode: { roles: everyone },
  patchV1WishCategoriesCode: { roles: ['admin'] },
  postV1Wishes: { roles: ['admin', 'organiser', 'volunteer'] },
  getV1Wishes: { roles: ['admin', 'organiser', 'volunteer'] },
  getV1WishesId: { roles: ['admin', 'organiser', 'volunteer'] },
  postV1WishesIdTake: { roles: ['volunteer'] },
  postV1WishesIdAssign: { roles: staff },
  postV1WishesIdRelease: { roles: ['admin', 'organiser', 'volunteer'] },
  postV1WishesIdDone: { roles: ['volunteer'] },
  postV1WishesIdConfirm: { roles: ['admin', 'organiser', 'volunteer'] },
  postV1WishesIdCancel: { roles: ['admin', 'organiser', 'volunteer'] },
  postV1VolunteerPosts: { roles: staff },
  getV1VolunteerPosts: { roles: ['admin', 'organiser', 'volunteer'] },
  postV1VolunteerPostsIdEnd: { roles: staff },
  getV1ReportsWishes: { roles: staff },
  postV1SignInCodes: { roles: staff },
  // Signing in and the sign-in page's options need no caller; credentials sent along are ignored.
  postV1Sessions: { roles: everyone, public: true },
  getV1SignInOptions: { roles: everyone, public: true },
  getV1SessionsCurrent: { roles: everyone },
  deleteV1SessionsCurrent: { roles: everyone },
  getV1Sessions: { roles: everyone },
  deleteV1SessionsId: { roles: everyone, self: true },
  postV1SessionsRevoke: { roles: staff },
};

let app: TestApp;
let f: Factory;
let doc: any;
const tokens = {} as Record<Role | 'otherVolunteer' | 'expired', string>;
const ids: Record<string, string> = {};

useTestApp({}, (started) => ({ app, f } = started));

beforeAll(async () => {
  doc = (await app.request('GET', '/openapi.json')).body;
  // A small world of real resources, so refusals are about who asks, not about missing ids.
  const unit = await f.orgUnit();
  const organiser = await f.organiser(unit.id);
  const volunteer = await f.volunteer(unit.id);
  const other = await f.volunteer(unit.id);
  const merchant = await f.merchant(unit.id);
  const type = await f.activityType({ kind: 'fixed', points: 5 });
  const activity = await f.activity(unit.id, type.code);
  const awarded = await award(app, f.adminToken, volunteer.id, 500);
  const recorded = await app.request('POST', `/v1/activities/${activity.id}/records`, {
    token: f.adminToken,
    body: { records: [{ volunteerId: volunteer.id, minutes: 10 }] },
    headers: { 'idempotency-key': key() },
  });
  const pack = await app.request('POST', '/v1/packs', { token: f.adminToken, body: { merchantId: merchant.id, title: 'matrix pack', points: 10 } });
  tokens.volunteer = await app.token('volunteer', volunteer.id);
  const wishCategory = await app.request('POST', '/v1/wish-categories', { token: f.adminToken, body: { code: `matrix-${Date.now()}`, name: 'matrix', points: 5 } });
  const wish = await app.request('POST', '/v1/wishes', { token: f.adminToken, body: { orgUnitId: unit.id, category: wishCategory.body.code, title: 'matrix wish', onBehalfOf: { name: 'r', contact: 'c' } } });
  const post = await app.request('POST', '/v1/volunteer-posts', { token: f.adminToken, body: { volunteerId: volunteer.id, orgUnitId: unit.id, kind: 'grid_worker' } });
  const claim = await app.request('POST', '/v1/redemptions', { token: tokens.volunteer, body: { packId: pack.body.id } });
  Object.assign(ids, {
    orgUnit: unit.id,
    organiser: organiser.id,
    volunteer: volunteer.id,
    merchant: merchant.id,
    typeCode: type.code,
    activity: activity.id,
    transaction: awarded.transactionId,
    record: recorded.body.records[0].id,
    pack: pack.body.id,
    redemption: claim.body.id,
    wishCategory: wishCategory.body.code,
    wish: wish.body.id,
    post: post.body.id,
    session: await volunteerSession(volunteer.id),
  });
  tokens.admin = f.adminToken;
  tokens.organiser = await app.token('organiser', organiser.id);
  tokens.merchant = await app.token('merchant', merchant.id);
  tokens.otherVolunteer = await app.token('volunteer', other.id);
  const signing = app.deps.accessTokens.ring.signing!;
  tokens.expired = await new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'EdDSA', kid: signing.kid })
    .setSubject('ops')
    .setIssuer(app.deps.config.TOKEN_ISSUER)
    .setAudience(app.deps.config.TOKEN_AUDIENCE)
    .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
    .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
    .sign(signing.key);
});

/** Opens a session for the volunteer (by a sign-in code) and returns its id. */
async function volunteerSession(volunteerId: string): Promise<string> {
  const code = await app.request('POST', '/v1/sign-in-codes', { token: f.adminToken, body: { role: 'volunteer', principalId: volunteerId } });
  const signedIn = await app.request('POST', '/v1/sessions', { body: { code: code.body.code } });
  const cookie = /jifen_session=([^;]+)/.exec(signedIn.headers.get('set-cookie') ?? '')?.[1];
  const list = await app.request('GET', '/v1/sessions', { headers: { cookie: `jifen_session=${cookie}` } });
  return list.body.items[0].id;
}

/** Fills a path template with the id of the resource its segment names. */
function concrete(path: string): string {
  return path.replace(/\/([a-z-]+)\/\{(id|code)\}/g, (_m, segment: string, param: string) => {
    const by: Record<string, string> = {
      'org-units': ids.orgUnit!,
      organisers: ids.organiser!,
      volunteers: ids.volunteer!,
      merchants: ids.merchant!,
      'activity-types': ids.typeCode!,
      activities: ids.activity!,
      transactions: ids.transaction!,
      records: ids.record!,
      packs: ids.pack!,
      redemptions: ids.redemption!,
      'wish-categories': ids.wishCategory!,
      wishes: ids.wish!,
      'volunteer-posts': ids.post!,
      sessions: ids.session!,
    };
    const value = by[segment];
    if (!value) throw new Error(`no fixture for /${segment}/{${param}}`);
    return `/${segment}/${value}`;
  });
}

function operations(): { id: string; method: string; path: string }[] {
  const list = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    if (!path.startsWith('/v1/')) continue;
    for (const [method, op] of Object.entries<any>(item)) list.push({ id: op.operationId as string, method: method.toUpperCase(), path });
  }
  return list;
}

async function call(method: string, path: string, token: string | undefined) {
  // A body that is well-formed JSON but names nothing real: a refusal must come from who asks.
  const body = method === 'GET' ? undefined : {};
  return app.request(method, concrete(path), { token, ...(body ? { body } : {}), headers: { 'idempotency-key': key() } });
}

describe('authorization matrix', () => {
  it('covers every /v1 operation in the OpenAPI document', () => {
    const missing = operations()
      .map((o) => o.id)
      .filter((id) => !(id in allowed));
    expect(missing, 'operations without an entry in the authorization matrix').toEqual([]);
  });

  it('answers 401 to anonymous callers and expired tokens on every operation', async () => {
    const wrong: string[] = [];
    for (const op of operations()) {
      for (const token of [undefined, tokens.expired]) {
        const res = await call(op.method, op.path, token);
        if (allowed[op.id]?.public) {
          if (res.status >= 500) wrong.push(`${op.id} ${token ? 'expired' : 'anonymous'} -> ${res.status}`);
          continue;
        }
        if (res.status !== 401 || res.body.code !== 'unauthorized') wrong.push(`${op.id} ${token ? 'expired' : 'anonymous'} -> ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('never lets a role that is not allowed succeed, and never fails with 5xx', async () => {
    const wrong: string[] = [];
    for (const op of operations()) {
      const rule = allowed[op.id]!;
      for (const role of everyone) {
        // Allowed writes are exercised by each module's own tests; here they would change the
        // fixtures (deactivate the very principals whose tokens the matrix uses).
        if (rule.roles.includes(role) && op.method !== 'GET') continue;
        const res = await call(op.method, op.path, tokens[role]);
        if (res.status >= 500) wrong.push(`${op.id} as ${role} -> ${res.status}`);
        if (!rule.roles.includes(role)) {
          if (res.status < 400) wrong.push(`${op.id} as ${role} -> ${res.status} (not allowed)`);
          if (op.method === 'GET' && res.status !== 403 && res.status !== 404) wrong.push(`${op.id} as ${role} -> ${res.status} (expected 403 or 404)`);
        }
      }
      if (rule.self) {
        const res = await call(op.method, op.path, tokens.otherVolunteer);
        if (res.status < 400 || res.status >= 500) wrong.push(`${op.id} as another volunteer -> ${res.status}`);
        if (op.method === 'GET' && res.status !== 403 && res.status !== 404) wrong.push(`${op.id} as another volunteer -> ${res.status} (expected 403 or 404)`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('lets each allowed role read what it may (GET operations succeed for their owner)', async () => {
    const wrong: string[] = [];
    for (const op of operations().filter((o) => o.method === 'GET')) {
      for (const role of allowed[op.id]!.roles) {
        if (op.id === 'getV1RedemptionsIdQrSvg' || op.id === 'getV1ReportsLedgerExport') continue;
        const res = await call(op.method, op.path, tokens[role]);
        if (res.status === 401 || res.status === 403) wrong.push(`${op.id} as ${role} -> ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});
