/**
 * Crash and fault scenarios against the real entry point on a throwaway PostgreSQL cluster:
 *   (a) kill -9 the service in the middle of award load, restart it, and check that every
 *       acknowledged award is in the ledger, that clients retrying with their Idempotency-Keys get
 *       their original results, and that the ledger verifies;
 *   (b) stop PostgreSQL hard (pg_ctl stop -m immediate) under load: while it is down the service
 *       answers 503 with Retry-After (no hang, no 500) and /readyz says 503; once PostgreSQL is back
 *       the service recovers by itself within 5 seconds and nothing acknowledged is lost;
 *   (c) several service processes on one database run the bank test and keep every invariant.
 * Used by scripts/crash-test.ts (npm run crash-test) and, in a short form, by test/crash.test.ts.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBank, type BankReport } from './bank.js';
import { call, codeOf, outcomeLabel, sleep, type Json } from './http.js';
import { createCluster, type Cluster } from './cluster.js';
import { freePort, killService, startService, stopService, tokenMinter, type ServiceProcess } from './service.js';

export interface Rig {
  cluster: Cluster;
  env: Record<string, string>;
  mint: (role: 'admin' | 'volunteer' | 'merchant' | 'organiser', sub: string) => Promise<string>;
  adminToken: string;
  /** The first instance, always on env.PORT (a restart comes back on the same address). */
  service: ServiceProcess;
  log: (line: string) => void;
}

/** How long the service may take to answer while its database is down: the pool's acquire timeout plus slack. */
const acquireTimeoutMs = 3000;
const hangMs = acquireTimeoutMs + 4000;

/** A throwaway cluster, a database in it, and the service started on it. */
export async function createRig(log: (line: string) => void = () => {}): Promise<Rig> {
  const cluster = await createCluster();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jifen-crash-'));
  try {
    const env: Record<string, string> = {
      DATABASE_URL: await cluster.createDatabase('jifen'),
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      LOG_LEVEL: process.env.CRASH_LOG_LEVEL ?? 'fatal',
      RATE_LIMIT_PER_SECOND: '0',
      DB_POOL_MAX: '10',
      DB_ACQUIRE_TIMEOUT_MS: String(acquireTimeoutMs),
      DB_CONNECT_TIMEOUT_SECONDS: '2',
      SHUTDOWN_GRACE_MS: '5000',
    };
    // Keys are created in DATA_DIR before any instance starts, so every instance shares them.
    const mint = await tokenMinter(env);
    const service = await startService(env);
    log(`rig: PostgreSQL on port ${cluster.port} (${cluster.dir}), service on ${service.baseUrl}`);
    return { cluster, env, mint, adminToken: await mint('admin', 'crash-test'), service, log };
  } catch (error) {
    await cluster.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

export async function destroyRig(rig: Rig | undefined): Promise<void> {
  if (!rig) return;
  await killService(rig.service);
  await rig.cluster.destroy();
  fs.rmSync(rig.env.DATA_DIR as string, { recursive: true, force: true });
}

/** Makes sure the first instance is up (a failed scenario may have left it down). */
async function ensureService(rig: Rig): Promise<void> {
  if (!rig.service.alive()) rig.service = await startService(rig.env);
}

async function must(base: string, token: string, urlPath: string, body: unknown): Promise<Json> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const r = await call(base, 'POST', urlPath, { token, body });
    if (r.status === 201) return r.body;
    if (r.status !== 503 && r.status !== 0) throw new Error(`POST ${urlPath}: ${r.status} ${JSON.stringify(r.body)}`);
    await sleep(250);
  }
  throw new Error(`POST ${urlPath}: no answer`);
}

async function volunteersFor(rig: Rig, label: string, count: number): Promise<string[]> {
  const base = rig.service.baseUrl;
  const unit = await must(base, rig.adminToken, '/v1/org-units', { name: `${label} ${randomUUID()}` });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(String((await must(base, rig.adminToken, '/v1/volunteers', { name: `${label} volunteer ${i}`, orgUnitId: unit.id })).id));
  return ids;
}

interface AwardRecord {
  key: string;
  body: { volunteerId: string; points: number; reason: string };
  transactionId?: string;
  /** Answered 201 only after an earlier attempt of the same request got no answer or a 503. */
  afterFault: boolean;
  /** That late answer was a replay: the first attempt had committed, its response was lost. */
  replayedAfterFault: boolean;
}

interface Answer {
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
class AwardLoad {
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
async function checkAwards(base: string, adminToken: string, load: AwardLoad, volunteerIds: string[], replaySample = Infinity): Promise<AwardCheck> {
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

function tally(answers: Answer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const label = a.code ? `${a.status} ${a.code}` : String(a.status);
    out[label] = (out[label] ?? 0) + 1;
  }
  return out;
}

export interface KillReport {
  clients: number;
  acknowledgedBeforeKill: number;
  requestsInFlightAtKill: number;
  restartMs: number;
  /** Awards whose answer was lost to the kill and which a retry with the same key answered. */
  answeredAfterFault: number;
  /** Of those, how many had in fact committed before the kill (the retry got the stored response). */
  replayedAfterFault: number;
  answers: Record<string, number>;
  check: AwardCheck;
}

/** (a) kill -9 in the middle of award load, restart on the same address, settle every retry, check. */
export async function killDuringAwards(rig: Rig, opts: { clients?: number; secondsBeforeKill?: number; secondsAfterRestart?: number; replaySample?: number } = {}): Promise<KillReport> {
  await ensureService(rig);
  const clients = opts.clients ?? 16;
  const volunteerIds = await volunteersFor(rig, 'kill', 20);
  const load = new AwardLoad(() => rig.service.baseUrl, rig.adminToken, volunteerIds);
  load.start(clients);
  await sleep((opts.secondsBeforeKill ?? 4) * 1000);
  const acknowledgedBeforeKill = load.acknowledged().length;
  const requestsInFlightAtKill = load.inFlight;
  await killService(rig.service);
  rig.log(`kill: SIGKILL with ${requestsInFlightAtKill} awards in flight, ${acknowledgedBeforeKill} acknowledged so far`);
  await sleep(1000);
  const restarting = Date.now();
  rig.service = await startService(rig.env);
  const restartMs = Date.now() - restarting;
  rig.log(`kill: restarted in ${restartMs} ms`);
  await sleep((opts.secondsAfterRestart ?? 3) * 1000);
  await load.stop();
  const checking = Date.now();
  const check = await checkAwards(rig.service.baseUrl, rig.adminToken, load, volunteerIds, opts.replaySample);
  rig.log(`kill: final checks took ${Date.now() - checking} ms`);
  if (!rig.service.alive()) check.anomalies.unshift(`the restarted service died:\n${rig.service.output().slice(-3000)}`);
  const afterFault = load.acknowledged().filter((a) => a.afterFault);
  return {
    clients,
    acknowledgedBeforeKill,
    requestsInFlightAtKill,
    restartMs,
    answeredAfterFault: afterFault.length,
    replayedAfterFault: afterFault.filter((a) => a.replayedAfterFault).length,
    answers: tally(load.answers),
    check,
  };
}

export interface OutageReport {
  clients: number;
  outageMs: number;
  /** Award answers while PostgreSQL was down, by outcome. */
  answersDuringOutage: Record<string, number>;
  slowestAnswerDuringOutageMs: number;
  readyzDuringOutage: Record<string, number>;
  slowestReadyzDuringOutageMs: number;
  /** From PostgreSQL accepting connections again to /readyz 200 and a fresh award acknowledged. */
  recoveryMs: number;
  answersAfterRecovery: Record<string, number>;
  anomalies: string[];
  check: AwardCheck;
}

/** (b) pg_ctl stop -m immediate under award load; probe the service while the database is down; start it again. */
export async function databaseOutage(
  rig: Rig,
  opts: { clients?: number; secondsBeforeStop?: number; outageSeconds?: number; secondsAfterRecovery?: number; replaySample?: number } = {},
): Promise<OutageReport> {
  await ensureService(rig);
  const clients = opts.clients ?? 16;
  const base = rig.service.baseUrl;
  const volunteerIds = await volunteersFor(rig, 'outage', 20);
  const load = new AwardLoad(() => base, rig.adminToken, volunteerIds);
  load.start(clients);
  await sleep((opts.secondsBeforeStop ?? 3) * 1000);
  const anomalies: string[] = [];

  await rig.cluster.stopImmediate();
  const downAt = Date.now();
  rig.log('outage: PostgreSQL stopped (immediate)');
  const readyz: Answer[] = [];
  while (Date.now() - downAt < (opts.outageSeconds ?? 6) * 1000) {
    const r = await call(base, 'GET', '/readyz', { timeoutMs: 15_000 });
    readyz.push({ sentAt: Date.now() - Math.round(r.ms), at: Date.now(), status: r.status, code: r.status === 0 ? (r.error ?? '') : String((r.body as { database?: string }).database ?? ''), ms: r.ms, retryAfter: null });
    await sleep(250);
  }
  // The outage ends when PostgreSQL is asked to start (pg_ctl returns only once it accepts connections).
  const restartAt = Date.now();
  await rig.cluster.start();
  const upAt = Date.now();
  rig.log(`outage: PostgreSQL started again after ${upAt - downAt} ms`);
  // The service must notice by itself: poll readiness, then a fresh award must go through.
  let recoveryMs = -1;
  const probeKey = randomUUID();
  while (Date.now() - upAt < 30_000) {
    const r = await call(base, 'GET', '/readyz', { timeoutMs: 10_000 });
    if (r.status === 200) {
      const a = await call(base, 'POST', '/v1/awards', { token: rig.adminToken, body: { volunteerId: volunteerIds[0], points: 1, reason: 'recovery probe' }, headers: { 'idempotency-key': probeKey }, timeoutMs: 10_000 });
      if (a.status === 201) {
        recoveryMs = Date.now() - upAt;
        break;
      }
    }
    await sleep(100);
  }
  if (recoveryMs < 0) anomalies.push('the service did not recover within 30 s of PostgreSQL coming back');
  rig.log(`outage: service recovered ${recoveryMs} ms after PostgreSQL came back`);
  await sleep((opts.secondsAfterRecovery ?? 2) * 1000);
  await load.stop();
  // The probe award belongs to the ledger too: count it as acknowledged so balances add up.
  load.awards.push({ key: probeKey, body: { volunteerId: volunteerIds[0] as string, points: 1, reason: 'recovery probe' }, transactionId: await probeTransaction(base, rig.adminToken, probeKey, volunteerIds[0] as string), afterFault: false, replayedAfterFault: false });
  const check = await checkAwards(base, rig.adminToken, load, volunteerIds, opts.replaySample);

  // Requests sent while the database was down (from a moment after the stop, so none had already
  // reached it, to its restart) must each be answered quickly with 503 and Retry-After, and
  // readiness must say 503.
  const settleMs = 500;
  // (A request sent near the end of the outage may wait for a connection and succeed once
  // PostgreSQL is back; only answers given while it was still down must be 503.)
  const sentDuring = load.answers.filter((a) => a.sentAt > downAt + settleMs && a.sentAt < restartAt);
  const during = sentDuring.filter((a) => a.at < restartAt);
  for (const a of during) {
    if (a.status !== 503) anomalies.push(`during the outage an award sent ${a.sentAt - downAt} ms after the stop got ${a.status} ${a.code} after ${Math.round(a.ms)} ms (PostgreSQL restarted at ${restartAt - downAt} ms)`);
    else if (!a.retryAfter) anomalies.push('a 503 during the outage had no Retry-After');
  }
  for (const a of sentDuring) {
    if (a.status === 0 || a.status === 500) anomalies.push(`an award sent during the outage got ${a.status} ${a.code}`);
    if (a.ms > hangMs) anomalies.push(`an award sent during the outage took ${Math.round(a.ms)} ms to be answered`);
  }
  if (during.length === 0) anomalies.push('no award was answered during the outage: the service hung');
  const readyDuring = readyz.filter((r) => r.sentAt > downAt + settleMs && r.sentAt < restartAt);
  for (const r of readyDuring) if (r.status !== 503 || r.ms > hangMs) anomalies.push(`/readyz during the outage: ${r.status} in ${Math.round(r.ms)} ms`);
  if (recoveryMs > 5000) anomalies.push(`recovery took ${recoveryMs} ms (limit 5000)`);
  if (!rig.service.alive()) anomalies.unshift(`the service process died during the outage:\n${rig.service.output().slice(-3000)}`);
  return {
    clients,
    outageMs: restartAt - downAt,
    answersDuringOutage: tally(during),
    slowestAnswerDuringOutageMs: Math.round(Math.max(0, ...during.map((a) => a.ms))),
    readyzDuringOutage: tally(readyDuring),
    slowestReadyzDuringOutageMs: Math.round(Math.max(0, ...readyDuring.map((a) => a.ms))),
    recoveryMs,
    answersAfterRecovery: tally(load.answers.filter((a) => a.at >= upAt)),
    anomalies,
    check,
  };
}

async function probeTransaction(base: string, adminToken: string, key: string, volunteerId: string): Promise<string | undefined> {
  const r = await call(base, 'POST', '/v1/awards', { token: adminToken, body: { volunteerId, points: 1, reason: 'recovery probe' }, headers: { 'idempotency-key': key } });
  return r.status === 201 ? String(r.body.transactionId) : undefined;
}

export interface MultiInstanceReport {
  instances: number;
  bank: BankReport;
}

/** (c) `instances` processes on one database, the bank test spread over all of them. */
export async function multiInstanceBank(rig: Rig, opts: { instances?: number; durationSeconds?: number; clients?: number } = {}): Promise<MultiInstanceReport> {
  await ensureService(rig);
  const instances = opts.instances ?? 3;
  const extra: ServiceProcess[] = [];
  try {
    for (let i = 1; i < instances; i++) extra.push(await startService({ ...rig.env, PORT: String(await freePort()) }));
    rig.log(`multi-instance: ${instances} processes on one database`);
    const bank = await runBank({
      baseUrls: [rig.service.baseUrl, ...extra.map((s) => s.baseUrl)],
      adminToken: rig.adminToken,
      mintToken: (role, sub) => rig.mint(role, sub),
      durationSeconds: opts.durationSeconds ?? 30,
      clients: opts.clients ?? 16,
      readers: 2,
      volunteers: 10,
      log: rig.log,
    });
    return { instances, bank };
  } finally {
    await Promise.all(extra.map((s) => stopService(s)));
  }
}
