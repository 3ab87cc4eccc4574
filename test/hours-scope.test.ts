import { describe, expect, it } from 'vitest';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { balanceOf, key } from './support/ledger.js';
import { recordHelpers } from './support/records.js';
import { useTestApp } from './support/setup.js';

/**
 * The one scope rule for hours (docs/api.md, "Scope"): an organiser records, approves and corrects
 * hours at an activity it manages for its own subtree's volunteers and for anyone who signed up for
 * the activity or checked in at it; everything else about volunteers from elsewhere (awards,
 * records of people who never came near the activity, lists of people) stays in its subtree.
 */

let app: TestApp;
let f: Factory;

useTestApp({ ledgerSound: true }, (started) => ({ app, f } = started));

const { record, running, checkedOut } = recordHelpers(() => ({ app, f }));

describe('the scope rule for hours', () => {
  it('lets an organiser handle the hours of anyone who came to its activity, and nothing else of theirs', async () => {
    const { streetA, streetB } = await f.tree();
    const organiser = await f.organiser(streetA.id);
    const token = await app.token('organiser', organiser.id);
    const own = await f.volunteer(streetA.id);
    const helper = await f.volunteer(streetB.id); // checks in at A's activity
    const signedUp = await f.volunteer(streetB.id); // signs up for it
    const stranger = await f.volunteer(streetB.id); // never comes near it
    const { activity, code } = await running(streetA.id, { kind: 'fixed', points: 50 });

    // Awards stay in scope, whatever activities the volunteer joined.
    const awarded = await app.request('POST', '/v1/awards', { token, body: { volunteerId: helper.id, points: 50, reason: 'r' }, headers: { 'idempotency-key': key() } });
    expect(awarded.status).toBe(404);

    // A check-in at the organiser's activity: the organiser approves it (50 points move) and corrects it.
    const checkIn = await checkedOut(activity.id, code, helper.id);
    const approved = await app.request('POST', `/v1/records/${checkIn.id}/approve`, { token });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', points: 50 });
    expect(await balanceOf(app, f.adminToken, helper.id)).toBe(50);
    const corrected = await app.request('POST', `/v1/records/${checkIn.id}/corrections`, { token, body: { units: 2, reason: 'two bags' }, headers: { 'idempotency-key': key() } });
    expect(corrected.status, JSON.stringify(corrected.body)).toBe(201);
    expect((await app.request('GET', `/v1/records/${checkIn.id}`, { token })).status).toBe(200);

    // Bulk entry: the organiser's own volunteers and whoever signed up, never a stranger.
    const signUp = await app.request('POST', `/v1/activities/${activity.id}/signup`, { token: await app.token('volunteer', signedUp.id) });
    expect(signUp.status).toBe(201);
    const refused = await record(activity.id, [{ volunteerId: stranger.id, minutes: 30 }], token);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ path: 'records.0.volunteerId', message: 'no such volunteer in your scope' }]);
    const recorded = await record(activity.id, [{ volunteerId: own.id, minutes: 30 }, { volunteerId: signedUp.id, minutes: 30 }], token);
    expect(recorded.status, JSON.stringify(recorded.body)).toBe(201);
    expect(await balanceOf(app, f.adminToken, signedUp.id)).toBe(50);

    // A stranger's record at the activity (entered by an admin) is not the organiser's to see, decide or correct.
    const byAdmin = await record(activity.id, [{ volunteerId: stranger.id, minutes: 30 }]);
    expect(byAdmin.status).toBe(201);
    const strangerRecord = byAdmin.body.records[0].id as string;
    expect((await app.request('GET', `/v1/records/${strangerRecord}`, { token })).status).toBe(404);
    expect((await app.request('POST', `/v1/records/${strangerRecord}/corrections`, { token, body: { minutes: 10, reason: 'r' }, headers: { 'idempotency-key': key() } })).status).toBe(404);
    expect((await app.request('POST', `/v1/records/${strangerRecord}/reject`, { token, body: { reason: 'r' } })).status).toBe(404);

    // Lists of people stay in the organiser's subtree: sign-ups, records and the activity report.
    const signups = await app.request('GET', `/v1/activities/${activity.id}/signups`, { token });
    expect(signups.status).toBe(200);
    expect(signups.body.items.map((s: any) => s.volunteerId)).not.toContain(signedUp.id);
    const records = await app.request('GET', `/v1/activities/${activity.id}/records`, { token });
    expect(records.status).toBe(200);
    expect(records.body.items.map((r: any) => r.volunteerId)).toEqual([own.id]);
    const report = await app.request('GET', `/v1/activities/${activity.id}/report`, { token });
    expect(report.status).toBe(200);
    expect(report.body.items.map((p: any) => p.volunteerId)).toEqual([own.id]);
    expect(report.body.participantsOutsideScope).toBe(3);
    // An admin sees everyone.
    const all = await app.request('GET', `/v1/activities/${activity.id}/records`, { token: f.adminToken });
    expect(all.body.items.map((r: any) => r.volunteerId).sort()).toEqual([own.id, helper.id, signedUp.id, stranger.id].sort());
    expect((await app.request('GET', `/v1/activities/${activity.id}/signups`, { token: f.adminToken })).body.items.map((s: any) => s.volunteerId)).toContain(signedUp.id);
  });
});
