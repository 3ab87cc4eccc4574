import { randomUUID } from 'node:crypto';
import type { Json } from '../http.js';
import type { Bank } from './context.js';
import type { Volunteer } from './types.js';

/** A set-up request that must succeed (with retries for the safe answers); anything else ends the run. */
async function setupCall(b: Bank, path: string, token: string, body: unknown, key?: string): Promise<Json> {
  const reply = await b.definite(`setup ${path}`, () => b.post(path, token, body, key));
  if (!reply || reply.status !== 201) throw new Error(`bank set-up: POST ${path} answered ${reply ? `${reply.status} ${JSON.stringify(reply.body)}` : 'nothing definite'}`);
  return reply.body;
}

/** The bank's world: a unit, volunteers with a starting balance, one merchant with three packs. */
export async function setUpBank(b: Bank): Promise<void> {
  const { admin, report } = b;
  const run = `${Date.now().toString(36)}-${report.seed}`;
  const unit = await setupCall(b, '/v1/org-units', admin, { name: `bank ${run}` });
  for (let i = 0; i < report.volunteers; i++) {
    const v = await setupCall(b, '/v1/volunteers', admin, { name: `bank volunteer ${i} ${run}`, orgUnitId: unit.id });
    const volunteer: Volunteer = { id: String(v.id), token: await b.options.mintToken('volunteer', String(v.id)), balance: 0, held: 0, ambiguous: false };
    b.volunteers.push(volunteer);
    const body = { volunteerId: volunteer.id, points: 200, reason: 'bank opening balance' };
    const key = randomUUID();
    const a = await setupCall(b, '/v1/awards', admin, body, key);
    volunteer.balance += 200;
    b.awards.push({ key, body, transactionId: String(a.transactionId), busy: false, ambiguous: false });
    b.acked('award');
  }
  const merchant = await setupCall(b, '/v1/merchants', admin, { name: `bank shop ${run}` });
  b.merchantToken = await b.options.mintToken('merchant', String(merchant.id));
  for (const spec of [
    { points: 7, stock: null, limit: null },
    { points: 11, stock: 40, limit: null },
    { points: 5, stock: null, limit: 2 },
  ]) {
    const p = await setupCall(b, '/v1/packs', admin, {
      merchantId: merchant.id,
      title: `bank pack ${spec.points} ${run}`,
      points: spec.points,
      ...(spec.stock !== null ? { stock: spec.stock } : {}),
      ...(spec.limit !== null ? { perVolunteerLimit: spec.limit } : {}),
    });
    b.packs.push({ id: String(p.id), ...spec, issued: 0, redeemed: 0, ambiguous: false });
  }
}
