/**
 * Crash and fault scenarios against the real entry point on a throwaway PostgreSQL cluster:
 *   (a) kill -9 the service in the middle of award load, restart it, and check that every
 *       acknowledged award is in the ledger, that clients retrying with their Idempotency-Keys get
 *       their original results, and that the ledger verifies;
 *   (b) stop PostgreSQL under load, hard (pg_ctl stop -m immediate) or as an operator would
 *       (-m fast, like pg_ctlcluster stop -m fast): while it is down the service answers 503 with
 *       Retry-After (no hang, no 500) and /readyz says 503; once PostgreSQL is back the service
 *       recovers by itself within 5 seconds, awards go through within a second of /readyz saying 200,
 *       and nothing acknowledged is lost;
 *   (c) several service processes on one database run the bank test and keep every invariant.
 * Used by scripts/crash-test.ts (npm run crash-test) and, in a short form, by test/crash.test.ts.
 * The rig (cluster, database, service) is in crash/rig.ts; the award load of (a) and (b) and the
 * check of what it saw acknowledged are in crash/awards.ts.
 */
import { randomUUID } from 'node:crypto';
import { runBank, type BankReport } from './bank.js';
import { call, sleep } from './http.js';
import { freePort, killService, startService, stopService, type ServiceProcess } from './service.js';
import { AwardLoad, checkAwards, tally, volunteersFor, type Answer, type AwardCheck } from './crash/awards.js';
import { ensureService, hangMs, type Rig } from './crash/rig.js';

export { createRig, destroyRig, type Rig } from './crash/rig.js';

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
  /** How PostgreSQL was stopped. */
  mode: 'immediate' | 'fast';
  /** From PostgreSQL accepting connections again to /readyz 200 and a fresh award acknowledged. */
  recoveryMs: number;
  /** From the first /readyz 200 after the restart to the first fresh award acknowledged. */
  readyToAwardMs: number;
  answersAfterRecovery: Record<string, number>;
  anomalies: string[];
  check: AwardCheck;
}

/** (b) pg_ctl stop (-m immediate by default, or fast) under award load; probe the service while the database is down; start it again. */
export async function databaseOutage(
  rig: Rig,
  opts: { mode?: 'immediate' | 'fast'; clients?: number; secondsBeforeStop?: number; outageSeconds?: number; secondsAfterRecovery?: number; replaySample?: number } = {},
): Promise<OutageReport> {
  const mode = opts.mode ?? 'immediate';
  await ensureService(rig);
  const clients = opts.clients ?? 16;
  const base = rig.service.baseUrl;
  const volunteerIds = await volunteersFor(rig, 'outage', 20);
  const load = new AwardLoad(() => base, rig.adminToken, volunteerIds);
  load.start(clients);
  await sleep((opts.secondsBeforeStop ?? 3) * 1000);
  const anomalies: string[] = [];

  await rig.cluster.stop(mode);
  const downAt = Date.now();
  rig.log(`outage: PostgreSQL stopped (${mode})`);
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
  let readyAt: number | undefined;
  let readyToAwardMs = -1;
  const probeKey = randomUUID();
  while (Date.now() - upAt < 30_000) {
    const r = await call(base, 'GET', '/readyz', { timeoutMs: 10_000 });
    if (r.status === 200) {
      readyAt ??= Date.now();
      const a = await call(base, 'POST', '/v1/awards', { token: rig.adminToken, body: { volunteerId: volunteerIds[0], points: 1, reason: 'recovery probe' }, headers: { 'idempotency-key': probeKey }, timeoutMs: 10_000 });
      if (a.status === 201) {
        recoveryMs = Date.now() - upAt;
        readyToAwardMs = Date.now() - readyAt;
        break;
      }
    }
    await sleep(100);
  }
  if (recoveryMs < 0) anomalies.push('the service did not recover within 30 s of PostgreSQL coming back');
  rig.log(`outage: service recovered ${recoveryMs} ms after PostgreSQL came back, ${readyToAwardMs} ms after /readyz first said 200`);
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
  if (readyToAwardMs > 1000) anomalies.push(`the first award went through ${readyToAwardMs} ms after /readyz said 200 (limit 1000)`);
  // Awards waiting for a connection when PostgreSQL came back are served as soon as one works, not
  // after the whole acquire timeout.
  for (const a of load.answers.filter((x) => x.sentAt < upAt && x.at > upAt)) {
    if (a.at - upAt > 1500) anomalies.push(`an award sent ${upAt - a.sentAt} ms before PostgreSQL was back was answered ${a.at - upAt} ms after it (${a.status} ${a.code})`);
  }
  if (!rig.service.alive()) anomalies.unshift(`the service process died during the outage:\n${rig.service.output().slice(-3000)}`);
  return {
    clients,
    mode,
    outageMs: restartAt - downAt,
    answersDuringOutage: tally(during),
    slowestAnswerDuringOutageMs: Math.round(Math.max(0, ...during.map((a) => a.ms))),
    readyzDuringOutage: tally(readyDuring),
    slowestReadyzDuringOutageMs: Math.round(Math.max(0, ...readyDuring.map((a) => a.ms))),
    recoveryMs,
    readyToAwardMs,
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
