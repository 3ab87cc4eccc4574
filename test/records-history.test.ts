import fs from 'node:fs';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { key } from './support/ledger.js';
import { at, hour, recordHelpers } from './support/records.js';
import { useTestApp } from './support/setup.js';

/**
 * Service records after they are decided: corrections (a new version and a ledger correction), a
 * volunteer's service history, and signed certificates of service.
 */

let app: TestApp;
let f: Factory;

// Low star thresholds (hours) so a test can reach stars with a few records.
useTestApp({ env: { DB_POOL_MAX: '20', STAR_THRESHOLDS_HOURS: '1,2,3,4,5', PROGRAMME_NAME: '五里堆街道志愿服务' }, ledgerSound: true }, (started) => ({ app, f } = started));

const { record, balance } = recordHelpers(() => ({ app, f }));

describe('corrections', () => {
  async function recorded(minutes: number) {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const type = await f.activityType({ kind: 'per_hour', points: 10 });
    const activity = await f.activity(unit.id, type.code, { startsAt: at(-4 * hour), endsAt: at(-hour) });
    const res = await record(activity.id, [{ volunteerId: v.id, minutes }]);
    expect(res.status).toBe(201);
    return { v, recordId: res.body.records[0].id as string, awardId: res.body.records[0].transactionId as string };
  }
  const correct = (recordId: string, body: unknown, k = key(), token = f.adminToken) => app.request('POST', `/v1/records/${recordId}/corrections`, { token, body, headers: { 'idempotency-key': k } });

  it('append a version and a ledger correction for the difference, down and up; history shows both', async () => {
    const { v, recordId, awardId } = await recorded(120);
    expect(await balance(v.id)).toMatchObject({ balance: 20, serviceMinutes: 120 });
    const k = key();
    const down = await correct(recordId, { minutes: 60, reason: 'left early' }, k);
    expect(down.status).toBe(201);
    expect(down.body).toMatchObject({ minutes: 60, points: 10, version: 2, status: 'approved' });
    const replay = await correct(recordId, { minutes: 60, reason: 'left early' }, k);
    expect(replay.body).toEqual(down.body);
    expect(await balance(v.id)).toMatchObject({ balance: 10, serviceMinutes: 60, lifetimeEarned: 10 });
    const up = await correct(recordId, { minutes: 150, reason: 'stayed late' });
    expect(up.body).toMatchObject({ minutes: 150, points: 25, version: 3 });
    expect(await balance(v.id)).toMatchObject({ balance: 25, serviceMinutes: 150, starLevel: 2 });
    expect(up.body.versions.map((x: any) => [x.kind, x.minutes, x.points, x.credited])).toEqual([
      ['recorded', 120, 20, 20],
      ['corrected', 60, 10, -10],
      ['corrected', 150, 25, 15],
    ]);
    expect(up.body.versions[0].transactionId).toBe(awardId);
    const statement = await app.request('GET', `/v1/volunteers/${v.id}/ledger`, { token: f.adminToken });
    expect(statement.body.items.map((i: any) => [i.kind, i.amount, i.reference])).toEqual([
      ['correction', 15, recordId],
      ['correction', -10, recordId],
      ['award', 20, recordId],
    ]);
  });

  it('are refused with insufficient_points when the volunteer already spent the points, changing nothing', async () => {
    const { v, recordId } = await recorded(120);
    const spend = await app.request('POST', '/v1/adjustments', { token: f.adminToken, body: { volunteerId: v.id, points: -15, reason: 'spent' }, headers: { 'idempotency-key': key() } });
    expect(spend.status).toBe(201);
    const res = await correct(recordId, { minutes: 0, reason: 'was not there' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'insufficient_points', balance: 5, required: 20 });
    expect(await balance(v.id)).toMatchObject({ balance: 5, serviceMinutes: 120 });
    const history = await app.request('GET', `/v1/records/${recordId}`, { token: f.adminToken });
    expect(history.body.versions).toHaveLength(1);
  });

  it('need a key, a change, minutes within the cap, and a manager of the activity', async () => {
    const { recordId } = await recorded(60);
    const noKey = await app.request('POST', `/v1/records/${recordId}/corrections`, { token: f.adminToken, body: { minutes: 30, reason: 'r' } });
    expect(noKey.status).toBe(400);
    expect((await correct(recordId, { minutes: 60, reason: 'same' })).status).toBe(400);
    expect((await correct(recordId, { reason: 'nothing' })).status).toBe(400);
    const over = await correct(recordId, { minutes: 181, reason: 'too long' });
    expect(over.status).toBe(400);
    expect(over.body.errors[0].path).toBe('minutes');
    const elsewhere = await f.orgUnit();
    const organiser = await f.organiser(elsewhere.id);
    expect((await correct(recordId, { minutes: 30, reason: 'r' }, key(), await app.token('organiser', organiser.id))).status).toBe(403);
    expect((await correct('01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f', { minutes: 30, reason: 'r' })).status).toBe(404);
  });
});

describe('service history and certificates', () => {
  it('list a volunteer’s records newest first, to the volunteer, organisers in scope and admins', async () => {
    const { streetA, streetB } = await f.tree();
    const v = await f.volunteer(streetA.id);
    const other = await f.volunteer(streetA.id);
    const type = await f.activityType({ kind: 'fixed', points: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const activity = await f.activity(streetA.id, type.code, { startsAt: at(-3 * hour), endsAt: at(-hour) });
      ids.push((await record(activity.id, [{ volunteerId: v.id, minutes: 30 }])).body.records[0].id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await app.request('GET', `/v1/volunteers/${v.id}/records?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: await app.token('volunteer', v.id) });
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((r: any) => r.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await app.request('GET', `/v1/volunteers/${v.id}/records`, { token: await app.token('volunteer', other.id) })).status).toBe(404);
    const outsider = await f.organiser(streetB.id);
    expect((await app.request('GET', `/v1/volunteers/${v.id}/records`, { token: await app.token('organiser', outsider.id) })).status).toBe(404);
    expect((await app.request('GET', `/v1/records/${ids[0]}`, { token: await app.token('volunteer', other.id) })).status).toBe(404);
  });

  it('issue a certificate that verifies with the published key and fails when any byte changes', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id, { name: '王秀英' });
    const cleanup = await f.activityType({ kind: 'per_hour', points: 10 });
    const haircut = await f.activityType({ kind: 'per_unit', points: 5 });
    const a1 = await f.activity(unit.id, cleanup.code, { startsAt: at(-5 * hour), endsAt: at(-2 * hour) });
    const a2 = await f.activity(unit.id, haircut.code, { startsAt: at(-5 * hour), endsAt: at(-2 * hour) });
    await record(a1.id, [{ volunteerId: v.id, minutes: 150 }]);
    await record(a2.id, [{ volunteerId: v.id, minutes: 45, units: 3 }]);
    const res = await app.request('GET', `/v1/volunteers/${v.id}/certificate`, { token: await app.token('volunteer', v.id) });
    expect(res.status).toBe(200);
    const jws: string = res.body.certificate;
    const jwks = await app.request('GET', '/.well-known/jwks.json');
    const keySet = createLocalJWKSet(jwks.body);
    const verify = (token: string) => jwtVerify(token, keySet, { algorithms: ['EdDSA'], typ: 'jifen-certificate+jwt', audience: 'jifen-certificate', issuer: 'jifen' });
    const { payload, protectedHeader } = await verify(jws);
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'jifen-certificate+jwt' });
    expect(jwks.body.keys.find((k: any) => k.kid === protectedHeader.kid)['x-jifen-purpose']).toBe('certificate');
    expect(payload).toMatchObject({
      sub: v.id,
      volunteer: { id: v.id, name: '王秀英' },
      programme: '五里堆街道志愿服务',
      totalMinutes: 195,
      totalHours: 3.25,
      starLevel: 3,
      certificateNumber: res.body.certificateNumber,
      jti: res.body.certificateNumber,
    });
    expect(payload.hoursByType).toEqual(
      expect.arrayContaining([
        { typeCode: cleanup.code, typeName: `type ${cleanup.code}`, minutes: 150, hours: 2.5 },
        { typeCode: haircut.code, typeName: `type ${haircut.code}`, minutes: 45, hours: 0.75 },
      ]),
    );
    // Asking again is not issuing again: with the hours unchanged, the same certificate.
    const second = await app.request('GET', `/v1/volunteers/${v.id}/certificate`, { token: f.adminToken });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ certificateNumber: res.body.certificateNumber, issuedAt: res.body.issuedAt });
    expect((await verify(second.body.certificate)).payload).toEqual(payload);

    // Every character, replaced by one that changes the decoded bytes (the top bit of its six).
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let refused = 0;
    for (let i = 0; i < jws.length; i++) {
      const c = jws[i]!;
      const replacement = c === '.' ? 'A' : alphabet[(alphabet.indexOf(c) + 32) % 64]!;
      const tampered = jws.slice(0, i) + replacement + jws.slice(i + 1);
      await expect(verify(tampered), `position ${i}`).rejects.toThrow();
      refused += 1;
    }
    expect(refused).toBe(jws.length);
    // It is its own kind of document: checked as an access token (another typ and audience) it fails.
    await expect(jwtVerify(jws, keySet, { typ: 'JWT', audience: 'jifen-api' })).rejects.toThrow();
  });

  it('registers a new certificate only when its content changes, however often it is asked for', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const type = await f.activityType({ kind: 'per_hour', points: 1 });
    const first = await f.activity(unit.id, type.code, { startsAt: at(-5 * hour), endsAt: at(-2 * hour) });
    await record(first.id, [{ volunteerId: v.id, minutes: 60 }]);
    const registered = async () =>
      Number((await sql<{ n: string }>`select count(*) as n from certificates where volunteer_id = ${v.id}`.execute(app.deps.db)).rows[0]!.n);
    const token = await app.token('volunteer', v.id);
    const asked = await Promise.all(Array.from({ length: 5 }, () => app.request('GET', `/v1/volunteers/${v.id}/certificate`, { token })));
    expect(new Set(asked.map((r) => r.body.certificateNumber)).size).toBe(1);
    expect(await registered()).toBe(1);
    const later = await f.activity(unit.id, type.code, { startsAt: at(-5 * hour), endsAt: at(-2 * hour) });
    await record(later.id, [{ volunteerId: v.id, minutes: 30 }]);
    const renewed = await app.request('GET', `/v1/volunteers/${v.id}/certificate`, { token: f.adminToken });
    expect(renewed.body.certificateNumber).not.toBe(asked[0]!.body.certificateNumber);
    expect(JSON.parse(Buffer.from(renewed.body.certificate.split('.')[1], 'base64url').toString())).toMatchObject({ totalMinutes: 90, totalHours: 1.5 });
    expect((await app.request('GET', `/v1/volunteers/${v.id}/certificate`, { token })).body.certificateNumber).toBe(renewed.body.certificateNumber);
    expect(await registered()).toBe(2);
  });

  it('round hours one way everywhere: 1,090 minutes are 18.16 hours on the certificate and in every report', async () => {
    const { district, streetA } = await f.tree();
    const v = await f.volunteer(streetA.id);
    const type = await f.activityType({ kind: 'per_hour', points: 1 });
    const activity = await f.activity(streetA.id, type.code, { startsAt: at(-20 * hour), endsAt: at(-hour) });
    await record(activity.id, [{ volunteerId: v.id, minutes: 1090 }]);
    const cert = await app.request('GET', `/v1/volunteers/${v.id}/certificate`, { token: f.adminToken });
    const payload = JSON.parse(Buffer.from(cert.body.certificate.split('.')[1], 'base64url').toString());
    expect(payload).toMatchObject({ totalMinutes: 1090, totalHours: 18.16, hoursByType: [{ typeCode: type.code, minutes: 1090, hours: 18.16 }] });
    const board = await app.request('GET', `/v1/reports/leaderboard?orgUnitId=${streetA.id}&period=year&by=hours`, { token: f.adminToken });
    expect(board.status).toBe(200);
    expect(board.body.items.find((e: any) => e.volunteerId === v.id)).toMatchObject({ minutes: 1090, hours: 18.16 });
    const summary = await app.request('GET', `/v1/reports/summary?orgUnitId=${district.id}&period=year`, { token: f.adminToken });
    expect(summary.status).toBe(200);
    expect(summary.body.hoursByType.find((t: any) => t.typeCode === type.code)).toMatchObject({ minutes: 1090, hours: 18.16 });
  });

  it('carry exactly the claims docs/certificates.md lists, and its worked example verifies as the page says', async () => {
    const doc = fs.readFileSync(new URL('../docs/certificates.md', import.meta.url), 'utf8');
    const claimsTable = doc.slice(doc.indexOf('Claims:'), doc.indexOf('There is **no `exp`**'));
    const documented = [...claimsTable.matchAll(/^\| `([a-zA-Z]+)` \|/gm)].map((m) => m[1]);
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const cert = await app.request('GET', `/v1/volunteers/${v.id}/certificate`, { token: f.adminToken });
    const payload = JSON.parse(Buffer.from(cert.body.certificate.split('.')[1], 'base64url').toString());
    expect(Object.keys(payload).sort()).toEqual([...documented].sort());
    expect(payload.exp).toBeUndefined();

    // The worked example: its JWKS and token, checked the way the page tells a verifier to.
    const jwks = JSON.parse(/```json\n(\{"keys".*\})\n```/.exec(doc)![1]!);
    const token = /```text\n([A-Za-z0-9_.-]+)\n```/.exec(doc)![1]!;
    const certificateKeys = { keys: jwks.keys.filter((k: any) => k['x-jifen-purpose'] === 'certificate') };
    const { payload: example } = await jwtVerify(token, createLocalJWKSet(certificateKeys), { algorithms: ['EdDSA'], typ: 'jifen-certificate+jwt', audience: 'jifen-certificate', issuer: 'jifen' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: 'example-2026', typ: 'jifen-certificate+jwt' });
    const shown = JSON.parse(/decodes to\n\n```json\n([\s\S]*?)\n```/.exec(doc)![1]!);
    expect(example).toEqual(shown);
    expect(Object.keys(example).sort()).toEqual([...documented].sort());
    expect(example.jti).toBe(example.certificateNumber);
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BA' : 'AA');
    await expect(jwtVerify(tampered, createLocalJWKSet(certificateKeys), { algorithms: ['EdDSA'], audience: 'jifen-certificate' })).rejects.toThrow();
  });

  it('is refused to other volunteers and merchants', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const other = await f.volunteer(unit.id);
    const shop = await f.merchant();
    expect((await app.request('GET', `/v1/volunteers/${v.id}/certificate`, { token: await app.token('volunteer', other.id) })).status).toBe(404);
    expect((await app.request('GET', `/v1/volunteers/${v.id}/certificate`, { token: await app.token('merchant', shop.id) })).status).toBe(403);
  });
});
