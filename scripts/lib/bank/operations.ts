import { randomUUID } from 'node:crypto';
import { codeOf, outcomeLabel, type Reply } from '../http.js';
import type { Bank } from './context.js';
import type { Claim, Pack, Volunteer } from './types.js';

/**
 * The writes a bank client makes, each checking its answer and, once a write is acknowledged,
 * recording it in the bank's model. An operation that cannot tell whether its write happened marks
 * what it touched as ambiguous, and the final reckoning leaves that out of the exact checks.
 */

function checkMoved(b: Bank, op: string, reply: Reply, volunteerId: string) {
  const body = reply.body as { volunteerId?: unknown; balance?: unknown };
  if (body.volunteerId !== volunteerId) b.anomaly(`${op}: answered for volunteer ${String(body.volunteerId)}, asked ${volunteerId}`);
  if (typeof body.balance !== 'number' || body.balance < 0) b.anomaly(`${op}: balance after is ${String(body.balance)}`);
}

async function award(b: Bank): Promise<void> {
  const v = b.pick(b.volunteers) as Volunteer;
  const body = { volunteerId: v.id, points: 1 + Math.floor(b.random() * 40), reason: 'bank award' };
  const key = randomUUID();
  const reply = await b.definite('award', () => b.post('/v1/awards', b.admin, body, key));
  if (!reply) return void (v.ambiguous = true);
  if (reply.status !== 201) return b.anomaly(`award: ${reply.status} ${JSON.stringify(reply.body)}`);
  checkMoved(b, 'award', reply, v.id);
  v.balance += body.points;
  b.awards.push({ key, body, transactionId: String(reply.body.transactionId), busy: false, ambiguous: false });
  b.acked('award');
}

/** The same award sent twice at once with one key: it must take effect once. */
async function duplicateAward(b: Bank): Promise<void> {
  const v = b.pick(b.volunteers) as Volunteer;
  const body = { volunteerId: v.id, points: 1 + Math.floor(b.random() * 40), reason: 'bank duplicate award' };
  const key = randomUUID();
  const [x, y] = await Promise.all([b.definite('dup-award', () => b.post('/v1/awards', b.admin, body, key)), b.definite('dup-award', () => b.post('/v1/awards', b.admin, body, key))]);
  if (!x || !y) return void (v.ambiguous = true);
  if (x.status !== 201 || y.status !== 201) return b.anomaly(`duplicate award: ${x.status}/${y.status}`);
  if (x.body.transactionId !== y.body.transactionId) return b.anomaly(`duplicate award with one key made two transactions: ${String(x.body.transactionId)} and ${String(y.body.transactionId)}`);
  v.balance += body.points;
  b.awards.push({ key, body, transactionId: String(x.body.transactionId), busy: false, ambiguous: false });
  b.acked('award');
}

async function claim(b: Bank): Promise<void> {
  const v = b.pick(b.volunteers) as Volunteer;
  const pack = b.pick(b.packs) as Pack;
  const key = randomUUID();
  const reply = await b.definite('claim', () => b.post('/v1/redemptions', v.token, { packId: pack.id }, key));
  if (!reply) {
    v.ambiguous = true;
    pack.ambiguous = true;
    return;
  }
  if (reply.status === 409 && ['insufficient_points', 'out_of_stock', 'limit_reached', 'conflict'].includes(codeOf(reply))) return;
  if (reply.status !== 201) return b.anomaly(`claim: ${reply.status} ${JSON.stringify(reply.body)}`);
  const body = reply.body as { id: string; token: string; points: number; status: string; packId: string };
  if (body.points !== pack.points || body.packId !== pack.id || body.status !== 'issued') b.anomaly(`claim answered ${JSON.stringify(body)}`);
  v.balance -= pack.points;
  v.held += pack.points;
  pack.issued += 1;
  b.claims.push({ key, id: body.id, token: body.token, packId: pack.id, volunteer: v, points: pack.points, state: 'issued', busy: false, ambiguous: false });
  b.acked('claim');
}

function takeIssuedClaim(b: Bank): Claim | undefined {
  const open = b.claims.filter((c) => c.state === 'issued' && !c.busy && !c.ambiguous);
  const c = b.pick(open);
  if (c) c.busy = true;
  return c;
}

function settled(b: Bank, c: Claim, redeemedAt: string) {
  const pack = b.packs.find((p) => p.id === c.packId) as Pack;
  c.state = 'redeemed';
  c.redeemedAt = redeemedAt;
  c.volunteer.held -= c.points;
  pack.issued -= 1;
  pack.redeemed += 1;
  b.acked('redeem');
}

function cancelled(b: Bank, c: Claim) {
  const pack = b.packs.find((p) => p.id === c.packId) as Pack;
  c.state = 'cancelled';
  c.volunteer.held -= c.points;
  c.volunteer.balance += c.points;
  pack.issued -= 1;
  b.acked('cancel');
}

function lost(b: Bank, c: Claim) {
  c.ambiguous = true;
  c.volunteer.ambiguous = true;
  (b.packs.find((p) => p.id === c.packId) as Pack).ambiguous = true;
}

async function redeem(b: Bank): Promise<void> {
  const c = takeIssuedClaim(b);
  if (!c) return claim(b);
  try {
    const reply = await b.definite('redeem', () => b.post('/v1/redemptions/redeem', b.merchantToken, { token: c.token }));
    if (!reply) return lost(b, c);
    if (reply.status !== 200) return b.anomaly(`redeem of an issued claim: ${reply.status} ${JSON.stringify(reply.body)}`);
    settled(b, c, String(reply.body.redeemedAt));
    // The shop's retry: the same 200 again, nothing moves twice.
    if (b.random() < 0.3) {
      const again = await b.definite('redeem-again', () => b.post('/v1/redemptions/redeem', b.merchantToken, { token: c.token }));
      if (again && (again.status !== 200 || again.body.redeemedAt !== c.redeemedAt || again.body.id !== c.id)) b.anomaly(`redeem retry: ${again.status} ${JSON.stringify(again.body)}`);
    }
  } finally {
    c.busy = false;
  }
}

async function cancel(b: Bank): Promise<void> {
  const c = takeIssuedClaim(b);
  if (!c) return claim(b);
  try {
    const reply = await b.definite('cancel', () => b.post(`/v1/redemptions/${c.id}/cancel`, c.volunteer.token, undefined));
    if (!reply) return lost(b, c);
    if (reply.status !== 200) return b.anomaly(`cancel of an issued claim: ${reply.status} ${JSON.stringify(reply.body)}`);
    cancelled(b, c);
  } finally {
    c.busy = false;
  }
}

/** The shop redeems while the volunteer cancels, at the same moment: exactly one of them wins. */
async function redeemCancelRace(b: Bank): Promise<void> {
  const c = takeIssuedClaim(b);
  if (!c) return claim(b);
  try {
    const [r, x] = await Promise.all([
      b.definite('race-redeem', () => b.post('/v1/redemptions/redeem', b.merchantToken, { token: c.token })),
      b.definite('race-cancel', () => b.post(`/v1/redemptions/${c.id}/cancel`, c.volunteer.token, undefined)),
    ]);
    if (!r || !x) return lost(b, c);
    const redeemWon = r.status === 200;
    const cancelWon = x.status === 200;
    if (redeemWon === cancelWon) return b.anomaly(`redeem/cancel race: redeem ${outcomeLabel(r)}, cancel ${outcomeLabel(x)}: exactly one must win`);
    if (redeemWon) {
      if (codeOf(x) !== 'token_already_used') b.anomaly(`race: cancel lost with ${outcomeLabel(x)}`);
      settled(b, c, String(r.body.redeemedAt));
    } else {
      if (codeOf(r) !== 'token_already_used') b.anomaly(`race: redeem lost with ${outcomeLabel(r)}`);
      cancelled(b, c);
    }
  } finally {
    c.busy = false;
  }
}

async function reverse(b: Bank): Promise<void> {
  const open = b.awards.filter((a) => !a.reversal && !a.busy && !a.ambiguous && a.body.reason === 'bank award');
  const a = b.pick(open);
  if (!a) return award(b);
  a.busy = true;
  const v = b.volunteers.find((x) => x.id === a.body.volunteerId) as Volunteer;
  try {
    const race = b.random() < 0.25;
    const attempts = Array.from({ length: race ? 2 : 1 }, () => ({ key: randomUUID(), body: { reason: 'bank reversal' } }));
    const replies = await Promise.all(attempts.map((t) => b.definite('reverse', () => b.post(`/v1/transactions/${a.transactionId}/reverse`, b.admin, t.body, t.key))));
    if (replies.some((r) => !r)) {
      a.ambiguous = true;
      v.ambiguous = true;
      return;
    }
    const won = replies.flatMap((r, i) => (r?.status === 201 ? [{ reply: r, attempt: attempts[i] as { key: string; body: { reason: string } } }] : []));
    if (won.length > 1) return b.anomaly(`transaction ${a.transactionId} reversed ${won.length} times`);
    // Only this operation reverses this award (it is marked busy), so already_reversed is expected only from the racing twin.
    const refusals = race ? ['insufficient_points', 'already_reversed'] : ['insufficient_points'];
    for (const r of replies) {
      if (r && r.status !== 201 && !(r.status === 409 && refusals.includes(codeOf(r)))) b.anomaly(`reverse: ${outcomeLabel(r)} ${JSON.stringify(r.body)}`);
    }
    const first = won[0];
    if (!first) return;
    if (first.reply.body.reversesTransactionId !== a.transactionId) b.anomaly(`reverse answered ${JSON.stringify(first.reply.body)}`);
    a.reversal = { key: first.attempt.key, body: first.attempt.body, transactionId: String(first.reply.body.transactionId) };
    v.balance -= a.body.points;
    b.reversals.push(a);
    b.acked('reverse');
  } finally {
    a.busy = false;
  }
}

/** A client that never saw its answer sends the same request with the same key: it gets the original back. */
async function replay(b: Bank): Promise<void> {
  const choice = b.random();
  if (choice < 0.5) {
    const a = b.pick(b.awards);
    if (!a) return;
    const reply = await b.definite('replay-award', () => b.post('/v1/awards', b.admin, a.body, a.key));
    if (reply && (reply.status !== 201 || reply.body.transactionId !== a.transactionId || reply.headers.get('idempotent-replayed') !== 'true')) {
      b.anomaly(`award replay: ${reply.status} ${JSON.stringify(reply.body)} (original ${a.transactionId})`);
    }
  } else if (choice < 0.75) {
    const a = b.pick(b.reversals);
    const r = a?.reversal;
    if (!a || !r) return;
    const reply = await b.definite('replay-reverse', () => b.post(`/v1/transactions/${a.transactionId}/reverse`, b.admin, r.body, r.key));
    if (reply && (reply.status !== 201 || reply.body.transactionId !== r.transactionId)) b.anomaly(`reversal replay: ${reply.status} ${JSON.stringify(reply.body)} (original ${r.transactionId})`);
  } else {
    const c = b.pick(b.claims);
    if (!c) return;
    const reply = await b.definite('replay-claim', () => b.post('/v1/redemptions', c.volunteer.token, { packId: c.packId }, c.key));
    if (reply && (reply.status !== 201 || reply.body.id !== c.id || reply.body.token !== c.token)) b.anomaly(`claim replay: ${reply.status} ${JSON.stringify(reply.body)} (original ${c.id})`);
  }
  b.acked('replay');
}

/** The same key with a different body is refused and changes nothing. */
async function reuse(b: Bank): Promise<void> {
  const a = b.pick(b.awards);
  if (!a) return;
  const reply = await b.definite('reuse-key', () => b.post('/v1/awards', b.admin, { ...a.body, points: a.body.points + 1 }, a.key));
  if (reply && (reply.status !== 422 || codeOf(reply) !== 'idempotency_key_reused')) b.anomaly(`key reused with another body: ${outcomeLabel(reply)}`);
}

/** The operations with their weights: how often a client picks each. */
const operations: [number, (b: Bank) => Promise<void>][] = [
  [28, award],
  [4, duplicateAward],
  [20, claim],
  [12, redeem],
  [8, cancel],
  [3, redeemCancelRace],
  [8, reverse],
  [12, replay],
  [3, reuse],
];
const weightTotal = operations.reduce((sum, [w]) => sum + w, 0);

/** One operation, chosen by weight with the bank's random numbers. */
export function chooseOperation(b: Bank): (b: Bank) => Promise<void> {
  let roll = b.random() * weightTotal;
  for (const [w, op] of operations) {
    roll -= w;
    if (roll < 0) return op;
  }
  return award;
}
