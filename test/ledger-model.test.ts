import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';
import { key } from './support/ledger.js';

/**
 * Model-based property test: random sequences of awards, adjustments, reversals, retries and key
 * reuse run against the real service over HTTP and, step by step, against an in-memory model of
 * what the ledger must say. A failure prints fast-check's seed and path; replay it with
 * FC_SEED=<seed> FC_PATH=<path> npx vitest run test/ledger-model.test.ts
 */

let app: TestApp;
let f: Factory;

useTestApp({ ledgerSound: true }, (started) => ({ app, f } = started));

interface Posted {
  transactionId: string;
  volunteer: number;
  amount: number;
  earns: boolean;
  reversed: boolean;
}

interface LastRequest {
  path: string;
  body: Record<string, unknown>;
  key: string;
  response: { status: number; body: unknown };
}

interface Model {
  balances: number[];
  earned: number[];
  posted: Posted[];
  last?: LastRequest;
}

interface Real {
  volunteers: string[];
}

async function send(path: string, body: Record<string, unknown>, idempotencyKey: string) {
  return app.request('POST', path, { token: f.adminToken, body, headers: { 'idempotency-key': idempotencyKey } });
}

async function expectBalance(m: Model, r: Real, i: number) {
  const res = await app.request('GET', `/v1/volunteers/${r.volunteers[i]}/balance`, { token: f.adminToken });
  expect(res.body.balance).toBe(m.balances[i]);
  expect(res.body.lifetimeEarned).toBe(m.earned[i]);
}

class AwardCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly volunteer: number,
    readonly points: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const body = { volunteerId: r.volunteers[this.volunteer]!, points: this.points, reason: 'model award' };
    const k = key();
    const res = await send('/v1/awards', body, k);
    expect(res.status).toBe(201);
    m.balances[this.volunteer]! += this.points;
    m.earned[this.volunteer]! += this.points;
    expect(res.body.balance).toBe(m.balances[this.volunteer]);
    m.posted.push({ transactionId: res.body.transactionId, volunteer: this.volunteer, amount: this.points, earns: true, reversed: false });
    m.last = { path: '/v1/awards', body, key: k, response: { status: res.status, body: res.body } };
    await expectBalance(m, r, this.volunteer);
  }
  toString = () => `award(v${this.volunteer}, ${this.points})`;
}

class AdjustCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly volunteer: number,
    readonly points: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const body = { volunteerId: r.volunteers[this.volunteer]!, points: this.points, reason: 'model adjustment' };
    const k = key();
    const res = await send('/v1/adjustments', body, k);
    const before = m.balances[this.volunteer]!;
    if (before + this.points < 0) {
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'insufficient_points', balance: before, required: -this.points });
    } else {
      expect(res.status).toBe(201);
      m.balances[this.volunteer] = before + this.points;
      expect(res.body.balance).toBe(m.balances[this.volunteer]);
      m.posted.push({ transactionId: res.body.transactionId, volunteer: this.volunteer, amount: this.points, earns: false, reversed: false });
      m.last = { path: '/v1/adjustments', body, key: k, response: { status: res.status, body: res.body } };
    }
    await expectBalance(m, r, this.volunteer);
  }
  toString = () => `adjust(v${this.volunteer}, ${this.points})`;
}

class ReverseCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.posted.length > 0;
  async run(m: Model, r: Real) {
    const target = m.posted[this.pick % m.posted.length]!;
    const body = { reason: 'model reversal' };
    const k = key();
    const path = `/v1/transactions/${target.transactionId}/reverse`;
    const res = await send(path, body, k);
    const balance = m.balances[target.volunteer]!;
    if (target.reversed) {
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('already_reversed');
    } else if (balance - target.amount < 0) {
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'insufficient_points', balance, required: target.amount });
    } else {
      expect(res.status).toBe(201);
      expect(res.body.reversesTransactionId).toBe(target.transactionId);
      target.reversed = true;
      m.balances[target.volunteer] = balance - target.amount;
      if (target.earns) m.earned[target.volunteer]! -= target.amount;
      m.last = { path, body, key: k, response: { status: res.status, body: res.body } };
    }
    await expectBalance(m, r, target.volunteer);
  }
  toString = () => `reverse(#${this.pick})`;
}

class RetryCommand implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.last !== undefined;
  async run(m: Model) {
    const last = m.last!;
    const res = await send(last.path, last.body, last.key);
    expect(res.status).toBe(last.response.status);
    expect(res.body).toEqual(last.response.body);
    expect(res.headers.get('idempotent-replayed')).toBe('true');
  }
  toString = () => 'retry(last)';
}

class ReuseKeyCommand implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.last !== undefined;
  async run(m: Model) {
    const last = m.last!;
    const res = await send(last.path, { ...last.body, reason: `${String(last.body.reason)} (changed)` }, last.key);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('idempotency_key_reused');
  }
  toString = () => 'reuseKeyWithOtherBody(last)';
}

const volunteersPerRun = 3;

const commands = [
  fc.tuple(fc.nat(volunteersPerRun - 1), fc.integer({ min: 1, max: 100 })).map(([v, p]) => new AwardCommand(v, p)),
  fc.tuple(fc.nat(volunteersPerRun - 1), fc.integer({ min: -120, max: 80 }).filter((n) => n !== 0)).map(([v, p]) => new AdjustCommand(v, p)),
  fc.nat(1000).map((n) => new ReverseCommand(n)),
  fc.constant(new RetryCommand()),
  fc.constant(new ReuseKeyCommand()),
];

describe('ledger model', () => {
  it('agrees with an in-memory model over random sequences of operations', async () => {
    const unit = await f.orgUnit();
    const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
    process.stdout.write(`ledger model seed: ${seed}\n`);
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 25 }), async (cmds) => {
        const volunteers: string[] = [];
        for (let i = 0; i < volunteersPerRun; i++) volunteers.push((await f.volunteer(unit.id)).id);
        const model: Model = { balances: Array(volunteersPerRun).fill(0), earned: Array(volunteersPerRun).fill(0), posted: [] };
        await fc.asyncModelRun(() => ({ model, real: { volunteers } }), cmds);
        for (let i = 0; i < volunteersPerRun; i++) {
          const statement = await app.request('GET', `/v1/volunteers/${volunteers[i]}/ledger?limit=200`, { token: f.adminToken });
          const sum = statement.body.items.reduce((s: number, line: any) => s + line.amount, 0);
          expect(sum).toBe(model.balances[i]);
        }
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 40), seed, ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}), endOnFailure: true },
    );
    const verify = await app.request('GET', '/v1/ledger/verify', { token: f.adminToken });
    expect(verify.body.ok).toBe(true);
  }, 300_000);
});
