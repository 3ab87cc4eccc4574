import { call, codeOf, outcomeLabel, sleep, type Json, type Reply } from '../http.js';
import type { Award, BankOptions, BankReport, Claim, Pack, Volunteer } from './types.js';

/**
 * What the phases of a bank run share: its options and random choices, the report it fills in, how
 * it sends requests, and everything it has seen acknowledged (the model the final reckoning checks
 * the service against).
 */
export interface Bank {
  options: BankOptions;
  admin: string;
  random: () => number;
  pick<T>(list: T[]): T | undefined;
  report: BankReport;
  /** Records something that must never happen; the first anomaliesKeptMax are kept word for word. */
  anomaly(text: string): void;
  anomalyCount(): number;
  /** Counts an answer by operation and outcome. */
  count(label: string): void;
  /** Counts an acknowledged write of a kind. */
  acked(kind: string): void;
  definite<T = Json>(op: string, send: () => Promise<Reply<T>>): Promise<Reply<T> | undefined>;
  post<T = Json>(path: string, token: string, body: unknown, key?: string): Promise<Reply<T>>;
  get<T = Json>(path: string, token: string, timeoutMs?: number): Promise<Reply<T>>;
  volunteers: Volunteer[];
  packs: Pack[];
  awards: Award[];
  claims: Claim[];
  reversals: Award[];
  /** The bank's shop, made at set-up. */
  merchantToken: string;
}

const anomaliesKeptMax = 100;
/** Retries of one request that answered 503/429/409-in-progress or not at all, before calling it ambiguous. */
const retriesMax = 30;

/** Small, seedable PRNG (mulberry32), so a run's choice of operations can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createBank(options: BankOptions): Bank {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = prng(seed);
  const readersCount = options.readers ?? 2;
  const volunteerCount = options.volunteers ?? 10;
  let rr = 0;
  const base = () => options.baseUrls[rr++ % options.baseUrls.length] as string;

  const report: BankReport = {
    seed,
    durationSeconds: options.durationSeconds,
    clients: options.clients,
    readers: readersCount,
    volunteers: volunteerCount,
    acknowledged: {},
    outcomes: {},
    totalsReads: 0,
    balanceReads: 0,
    retriedUnavailable: 0,
    noAnswer: 0,
    serverErrors: 0,
    ambiguous: 0,
    anomalies: [],
    final: { verifyOk: false, entriesChecked: 0, sumOfBalances: null, transactionsChecked: 0, redemptionsChecked: 0, balancesChecked: 0, balancesSkipped: 0, packsChecked: 0 },
    writesPerSecond: 0,
  };
  let anomalyCount = 0;
  const anomaly = (text: string) => {
    anomalyCount += 1;
    if (report.anomalies.length < anomaliesKeptMax) report.anomalies.push(text);
  };
  const count = (label: string) => (report.outcomes[label] = (report.outcomes[label] ?? 0) + 1);

  /**
   * Sends a request until it has a definite answer: 503 and 429 wait (Retry-After, bounded) and try
   * again, as do "no answer" and 409 idempotency_in_progress (the first attempt may still be
   * running). Only ever used for requests that are safe to repeat: keyed writes, redeems, cancels.
   */
  async function definite<T = Json>(op: string, send: () => Promise<Reply<T>>): Promise<Reply<T> | undefined> {
    for (let attempt = 1; attempt <= retriesMax; attempt++) {
      const reply = await send();
      count(`${op} ${outcomeLabel(reply)}`);
      if (reply.status === 0) report.noAnswer += 1;
      else if (reply.status >= 500 && reply.status !== 503) {
        report.serverErrors += 1;
        anomaly(`${op}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
      }
      const retry = reply.status === 0 || reply.status === 503 || reply.status === 429 || reply.status >= 500 || (reply.status === 409 && codeOf(reply) === 'idempotency_in_progress');
      if (!retry) {
        if (attempt > 1 && reply.status !== 0) report.retriedUnavailable += 1;
        return reply;
      }
      if ((reply.status === 503 || reply.status === 429) && !reply.headers.get('retry-after')) anomaly(`${op}: ${reply.status} without Retry-After`);
      const hinted = Number(reply.headers.get('retry-after') ?? 0) * 1000;
      await sleep(Math.min(2000, Math.max(50 * attempt, hinted > 0 ? Math.min(hinted, 1000) : 0)));
    }
    report.ambiguous += 1;
    return undefined;
  }

  return {
    options,
    admin: options.adminToken,
    random,
    pick: <T>(list: T[]): T | undefined => (list.length === 0 ? undefined : list[Math.floor(random() * list.length)]),
    report,
    anomaly,
    anomalyCount: () => anomalyCount,
    count,
    acked: (kind: string) => (report.acknowledged[kind] = (report.acknowledged[kind] ?? 0) + 1),
    definite,
    post: <T = Json>(path: string, token: string, body: unknown, key?: string) => call<T>(base(), 'POST', path, { token, body, headers: key ? { 'idempotency-key': key } : {} }),
    get: <T = Json>(path: string, token: string, timeoutMs?: number) => call<T>(base(), 'GET', path, { token, ...(timeoutMs ? { timeoutMs } : {}) }),
    volunteers: [],
    packs: [],
    awards: [],
    claims: [],
    reversals: [],
    merchantToken: '',
  };
}
