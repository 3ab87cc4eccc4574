import { randomUUID } from 'node:crypto';
import { call, codeOf, outcomeLabel, sleep, type Json } from '../http.js';
import type { Rig } from './rig.js';

/** The award load the kill and outage scenarios run, and the check of everything it saw acknowledged. */

export async function must(base: string, token: string, urlPath: string, body: unknown): Promise<Json> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const r = await call(base, 'POST', urlPath, { token, body });
    if (r.status === 201) return r.body;
    if (r.status !== 503 && r.status !== 0) throw new Error(`POST ${urlPath}: ${r.status} ${JSON.stringify(r.body)}`);
    await sleep(250);
  }
  throw new Error(`POST ${urlPath}: no answer`);
}

export async function volunteersFor(rig: Rig, label: string, count: number): Promise<string[]> {
  const base = rig.service.baseUrl;
  const unit = await must(base, rig.adminToken, '/v1/org-units', { name: `${label} ${randomUUID()}` });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(String((await must(base, rig.adminToken, '/v1/volunteers', { name: `${label} volunteer ${i}`, orgUnitId: unit.id })).id));
  return ids;
}

export interface AwardRecord {
  key: string;
  body: { volunteerId: string; points: number; reason: string };
  transactionId?: string;
  /** Answered 201 only after an earlier attempt of the same request got no answer or a 503. */
  afterFault: boolean;
  /** That late answer was a replay: the first attempt had committed, its response was lost. */
  replayedAfterFault: boolean;
}

export interface Answer {
  sentAt: number;
  at: number;
  status: number;
  code: string;
  ms: number;
  retryAfter: string | null;
}

/**
 * Clients awarding points in a loop, each award with its own Idempotency-Key, retrying the same
 * request (same key, same body) after a 503, a 409 idempotency_in_progress or no answer at all, as a
 * careful client would, until it has a definite answer. Every answer is kept with its time.
 */
export class AwardLoad {
  readonly awards: AwardRecord[] = [];
  readonly answers: Answer[] = [];
  readonly anomalies: string[] = [];
  inFlight = 0;
  unresolved = 0;
  private stopping = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly base: () => string,
    private readonly adminToken: string,
    private readonly volunteerIds: string[],
  ) {}

  start(clients: number): void {
    this.loops = Array.from({ length: clients }, () => this.loop());
  }

  acknowledged(): AwardRecord[] {
    return this.awards.filter((a) => a.transactionId);
  }

  /** Stops starting new awards; each client still drives its current one to a definite answer (bounded). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const volunteerId = this.volunteerIds[Math.floor(Math.random() * this.volunteerIds.length)] as string;
      const record: AwardRecord = { key: randomUUID(), body: { volunteerId, points: 1 + Math.floor(Math.random() * 50), reason: 'crash test award' }, afterFault: false, replayedAfterFault: false };
      this.awards.push(record);
      const giveUpAt = Date.now() + 120_000;
      for (let attempt = 1; ; attempt++) {
        this.inFlight += 1;
        const sentAt = Date.now();
        const r = await call(this.base(), 'POST', '/v1/awards', { token: this.adminToken, body: record.body, headers: { 'idempotency-key': record.key }, timeoutMs: 15_000 });
        this.inFlight -= 1;
        this.answers.push({ sentAt, at: Date.now(), status: r.status, code: r.status === 0 ? (r.error ?? '') : codeOf(r), ms: r.ms, retryAfter: r.headers.get('retry-after') });
        if (r.status === 201) {
          record.transactionId = String(r.body.transactionId);
          record.afterFault = attempt > 1;
          record.replayedAfterFault = attempt > 1 && r.headers.get('idempotent-replayed') === 'true';
          if (r.body.volunteerId !== volunteerId || r.body.points !== record.body.points) this.anomalies.push(`award answered ${JSON.stringify(r.body)} for ${JSON.stringify(record.body)}`);
          break;
        }
        const retry = r.status === 0 || r.status === 503 || (r.status === 409 && codeOf(r) === 'idempotency_in_progress');
        if (!retry) {
          this.anomalies.push(`award: ${outcomeLabel(r)} ${JSON.stringify(r.body).slice(0, 300)}`);
          break;
        }
        if (Date.now() > giveUpAt) {
          this.unresolved += 1;
          break;
        }
        await sleep(Math.min(1000, 50 * attempt));
      }
    }
  }
}

export interface AwardCheck {
  verifyOk: boolean;
  sumOfBalances: number | null;
  acknowledged: number;
  transactionsFound: number;
  /** Acknowledged awards sent again with their key that got the original transaction back. */
  replaysIdentical: number;
  replaysSent: number;
  balancesChecked: number;
  anomalies: string[];
}

/**
 * After the faults: the ledger verifies and sums to zero; every acknowledged award is in it; sending
 * each acknowledged award again with its key returns the original transaction; and each volunteer's
 * balance is exactly the sum of its acknowledged awards (no award lost, none applied twice).
 */
export async function checkAwards(base: string, adminToken: string, load: AwardLoad, volunteerIds: string[], replaySample = Infinity): Promise<AwardCheck> {
  const anomalies: string[] = [...load.anomalies];
  const verify = await call<{ ok?: boolean }>(base, 'GET', '/v1/ledger/verify', { token: adminToken, timeoutMs: 300_000 });
  if (verify.status !== 200 || verify.body.ok !== true) anomalies.push(`verify: ${verify.status} ${JSON.stringify(verify.body).slice(0, 500)}`);
  const totals = await call<{ sumOfBalances?: number }>(base, 'GET', '/v1/ledger/totals', { token: adminToken });
  if (totals.body.sumOfBalances !== 0) anomalies.push(`totals: ${JSON.stringify(totals.body)}`);
  const acked = load.acknowledged();
  // Every award answered after a fault is replayed; of the rest, a random sample (all by default).
  const others = acked.filter((a) => !a.afterFault).sort(() => Math.random() - 0.5);
  const toReplay = new Set([...acked.filter((a) => a.afterFault), ...others.slice(0, replaySample)]);
  let found = 0;
  let identical = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < acked.length) {
        const a = acked[next++] as AwardRecord;
        const t = await call<{ kind?: string }>(base, 'GET', `/v1/transactions/${a.transactionId}`, { token: adminToken });
        if (t.status === 200 && t.body.kind === 'award') found += 1;
        else anomalies.push(`acknowledged award ${a.transactionId} reads ${t.status} ${JSON.stringify(t.body).slice(0, 200)}`);
        if (!toReplay.has(a)) continue;
        const again = await call(base, 'POST', '/v1/awards', { token: adminToken, body: a.body, headers: { 'idempotency-key': a.key } });
        if (again.status === 201 && again.body.transactionId === a.transactionId && again.headers.get('idempotent-replayed') === 'true') identical += 1;
        else anomalies.push(`retry of acknowledged award ${a.transactionId} answered ${again.status} ${JSON.stringify(again.body).slice(0, 200)}`);
      }
    }),
  );
  let balancesChecked = 0;
  if (load.unresolved === 0) {
    for (const id of volunteerIds) {
      const expected = acked.filter((a) => a.body.volunteerId === id).reduce((sum, a) => sum + a.body.points, 0);
      const b = await call<{ balance?: number }>(base, 'GET', `/v1/volunteers/${id}/balance`, { token: adminToken });
      balancesChecked += 1;
      if (b.body.balance !== expected) anomalies.push(`volunteer ${id}: balance ${String(b.body.balance)}, acknowledged awards add up to ${expected}`);
    }
  } else anomalies.push(`${load.unresolved} awards never got a definite answer`);
  return { verifyOk: verify.body.ok === true, sumOfBalances: totals.body.sumOfBalances ?? null, acknowledged: acked.length, transactionsFound: found, replaysIdentical: identical, replaysSent: toReplay.size, balancesChecked, anomalies };
}

export function tally(answers: Answer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const label = a.code ? `${a.status} ${a.code}` : String(a.status);
    out[label] = (out[label] ?? 0) + 1;
  }
  return out;
}
