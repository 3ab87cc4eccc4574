/**
 * A bank test after Jepsen's: many concurrent clients move points around over HTTP (awards, claims,
 * redeems, cancels, reversals, replays with the same Idempotency-Key, deliberate races) while
 * readers keep summing every balance. Money is only ever moved, never made or lost, so:
 *   - every read of GET /v1/ledger/totals has sumOfBalances = 0, and no volunteer balance read is negative;
 *   - at the end GET /v1/ledger/verify passes;
 *   - every acknowledged (2xx) write is in the ledger with what was acknowledged, nothing else is,
 *     and each volunteer's balance and held points equal what the acknowledged writes add up to;
 *   - a replay with the same key returns the original result; each redemption resolved at most once.
 * It speaks only the public HTTP contract, so it runs against any deployment (one or several
 * instances). Ambiguous outcomes (no definite answer after bounded retries) are counted, and the
 * volunteers they touch are left out of the exact balance check rather than guessed at.
 */
import { randomUUID } from 'node:crypto';
import { call, codeOf, outcomeLabel, sleep, type Json, type Reply } from './http.js';

export interface BankOptions {
  /** One or more instances of the service; requests are spread over them. */
  baseUrls: string[];
  adminToken: string;
  /** Mints a bearer token the service accepts (the bank creates its own volunteers and merchant). */
  mintToken(role: 'volunteer' | 'merchant', sub: string): Promise<string>;
  durationSeconds: number;
  /** Concurrent writer loops. */
  clients: number;
  /** Concurrent reader loops summing balances. Default 2. */
  readers?: number;
  /** Volunteers the money moves between: few, so clients contend on the same accounts. Default 10. */
  volunteers?: number;
  /** Seed of the choice of operations (printed in the report). Default random. */
  seed?: number;
  log?: (line: string) => void;
}

export interface BankReport {
  seed: number;
  durationSeconds: number;
  clients: number;
  readers: number;
  volunteers: number;
  /** Acknowledged (2xx) writes by kind. */
  acknowledged: Record<string, number>;
  /** Every answer counted by operation and outcome, e.g. "claim 409 insufficient_points". */
  outcomes: Record<string, number>;
  totalsReads: number;
  balanceReads: number;
  /** Requests answered definitely only after a retry (503, 429, 409 idempotency_in_progress or no answer first). */
  retriedUnavailable: number;
  /** Requests that got no HTTP answer at all (connection error or timeout). */
  noAnswer: number;
  /** Server errors (5xx other than 503). */
  serverErrors: number;
  /** Operations left without a definite answer after bounded retries. */
  ambiguous: number;
  anomalies: string[];
  final: {
    verifyOk: boolean;
    entriesChecked: number;
    sumOfBalances: number | null;
    transactionsChecked: number;
    redemptionsChecked: number;
    balancesChecked: number;
    balancesSkipped: number;
    packsChecked: number;
  };
  writesPerSecond: number;
}

interface Volunteer {
  id: string;
  token: string;
  /** What the acknowledged writes add up to. */
  balance: number;
  held: number;
  ambiguous: boolean;
}

interface Pack {
  id: string;
  points: number;
  stock: number | null;
  limit: number | null;
  issued: number;
  redeemed: number;
  ambiguous: boolean;
}

interface Award {
  key: string;
  body: { volunteerId: string; points: number; reason: string };
  transactionId: string;
  reversal?: { key: string; body: { reason: string }; transactionId: string };
  busy: boolean;
  ambiguous: boolean;
}

interface Claim {
  key: string;
  id: string;
  token: string;
  packId: string;
  volunteer: Volunteer;
  points: number;
  state: 'issued' | 'redeemed' | 'cancelled';
  redeemedAt?: string;
  busy: boolean;
  ambiguous: boolean;
}

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

async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item);
      }
    }),
  );
}

const anomaliesKeptMax = 100;
/** Retries of one request that answered 503/429/409-in-progress or not at all, before calling it ambiguous. */
const retriesMax = 30;

export async function runBank(options: BankOptions): Promise<BankReport> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = prng(seed);
  const readersCount = options.readers ?? 2;
  const volunteerCount = options.volunteers ?? 10;
  const log = options.log ?? (() => {});
  const admin = options.adminToken;
  let rr = 0;
  const base = () => options.baseUrls[rr++ % options.baseUrls.length] as string;
  const pick = <T>(list: T[]): T | undefined => (list.length === 0 ? undefined : list[Math.floor(random() * list.length)]);

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
  const acked = (kind: string) => (report.acknowledged[kind] = (report.acknowledged[kind] ?? 0) + 1);

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

  const post = <T = Json>(path: string, token: string, body: unknown, key?: string) =>
    call<T>(base(), 'POST', path, { token, body, headers: key ? { 'idempotency-key': key } : {} });
  const get = <T = Json>(path: string, token: string, timeoutMs?: number) => call<T>(base(), 'GET', path, { token, ...(timeoutMs ? { timeoutMs } : {}) });

  async function setupCall(path: string, token: string, body: unknown, key?: string): Promise<Json> {
    const reply = await definite(`setup ${path}`, () => post(path, token, body, key));
    if (!reply || reply.status !== 201) throw new Error(`bank set-up: POST ${path} answered ${reply ? `${reply.status} ${JSON.stringify(reply.body)}` : 'nothing definite'}`);
    return reply.body;
  }

  // --- set-up: a unit, volunteers with a starting balance, one merchant with three packs ---
  const run = `${Date.now().toString(36)}-${seed}`;
  const unit = await setupCall('/v1/org-units', admin, { name: `bank ${run}` });
  const volunteers: Volunteer[] = [];
  const awards: Award[] = [];
  for (let i = 0; i < volunteerCount; i++) {
    const v = await setupCall('/v1/volunteers', admin, { name: `bank volunteer ${i} ${run}`, orgUnitId: unit.id });
    const volunteer: Volunteer = { id: String(v.id), token: await options.mintToken('volunteer', String(v.id)), balance: 0, held: 0, ambiguous: false };
    volunteers.push(volunteer);
    const body = { volunteerId: volunteer.id, points: 200, reason: 'bank opening balance' };
    const key = randomUUID();
    const a = await setupCall('/v1/awards', admin, body, key);
    volunteer.balance += 200;
    awards.push({ key, body, transactionId: String(a.transactionId), busy: false, ambiguous: false });
    acked('award');
  }
  const merchant = await setupCall('/v1/merchants', admin, { name: `bank shop ${run}` });
  const merchantToken = await options.mintToken('merchant', String(merchant.id));
  const packs: Pack[] = [];
  for (const spec of [
    { points: 7, stock: null, limit: null },
    { points: 11, stock: 40, limit: null },
    { points: 5, stock: null, limit: 2 },
  ]) {
    const p = await setupCall('/v1/packs', admin, {
      merchantId: merchant.id,
      title: `bank pack ${spec.points} ${run}`,
      points: spec.points,
      ...(spec.stock !== null ? { stock: spec.stock } : {}),
      ...(spec.limit !== null ? { perVolunteerLimit: spec.limit } : {}),
    });
    packs.push({ id: String(p.id), ...spec, issued: 0, redeemed: 0, ambiguous: false });
  }
  const claims: Claim[] = [];
  const reversals: Award[] = [];
  log(`bank: seed ${seed}, ${volunteerCount} volunteers, ${packs.length} packs, ${options.clients} clients, ${readersCount} readers, ${options.durationSeconds} s, ${options.baseUrls.length} instance(s)`);

  // --- the operations ---
  function checkMoved(op: string, reply: Reply, volunteerId: string) {
    const b = reply.body as { volunteerId?: unknown; balance?: unknown };
    if (b.volunteerId !== volunteerId) anomaly(`${op}: answered for volunteer ${String(b.volunteerId)}, asked ${volunteerId}`);
    if (typeof b.balance !== 'number' || b.balance < 0) anomaly(`${op}: balance after is ${String(b.balance)}`);
  }

  async function award(): Promise<void> {
    const v = pick(volunteers) as Volunteer;
    const body = { volunteerId: v.id, points: 1 + Math.floor(random() * 40), reason: 'bank award' };
    const key = randomUUID();
    const reply = await definite('award', () => post('/v1/awards', admin, body, key));
    if (!reply) return void (v.ambiguous = true);
    if (reply.status !== 201) return anomaly(`award: ${reply.status} ${JSON.stringify(reply.body)}`);
    checkMoved('award', reply, v.id);
    v.balance += body.points;
    awards.push({ key, body, transactionId: String(reply.body.transactionId), busy: false, ambiguous: false });
    acked('award');
  }

  /** The same award sent twice at once with one key: it must take effect once. */
  async function duplicateAward(): Promise<void> {
    const v = pick(volunteers) as Volunteer;
    const body = { volunteerId: v.id, points: 1 + Math.floor(random() * 40), reason: 'bank duplicate award' };
    const key = randomUUID();
    const [a, b] = await Promise.all([definite('dup-award', () => post('/v1/awards', admin, body, key)), definite('dup-award', () => post('/v1/awards', admin, body, key))]);
    if (!a || !b) return void (v.ambiguous = true);
    if (a.status !== 201 || b.status !== 201) return anomaly(`duplicate award: ${a.status}/${b.status}`);
    if (a.body.transactionId !== b.body.transactionId) return anomaly(`duplicate award with one key made two transactions: ${String(a.body.transactionId)} and ${String(b.body.transactionId)}`);
    v.balance += body.points;
    awards.push({ key, body, transactionId: String(a.body.transactionId), busy: false, ambiguous: false });
    acked('award');
  }

  async function claim(): Promise<void> {
    const v = pick(volunteers) as Volunteer;
    const pack = pick(packs) as Pack;
    const key = randomUUID();
    const reply = await definite('claim', () => post('/v1/redemptions', v.token, { packId: pack.id }, key));
    if (!reply) {
      v.ambiguous = true;
      pack.ambiguous = true;
      return;
    }
    if (reply.status === 409 && ['insufficient_points', 'out_of_stock', 'limit_reached', 'conflict'].includes(codeOf(reply))) return;
    if (reply.status !== 201) return anomaly(`claim: ${reply.status} ${JSON.stringify(reply.body)}`);
    const body = reply.body as { id: string; token: string; points: number; status: string; packId: string };
    if (body.points !== pack.points || body.packId !== pack.id || body.status !== 'issued') anomaly(`claim answered ${JSON.stringify(body)}`);
    v.balance -= pack.points;
    v.held += pack.points;
    pack.issued += 1;
    claims.push({ key, id: body.id, token: body.token, packId: pack.id, volunteer: v, points: pack.points, state: 'issued', busy: false, ambiguous: false });
    acked('claim');
  }

  function takeIssuedClaim(): Claim | undefined {
    const open = claims.filter((c) => c.state === 'issued' && !c.busy && !c.ambiguous);
    const c = pick(open);
    if (c) c.busy = true;
    return c;
  }

  function settled(c: Claim, redeemedAt: string) {
    const pack = packs.find((p) => p.id === c.packId) as Pack;
    c.state = 'redeemed';
    c.redeemedAt = redeemedAt;
    c.volunteer.held -= c.points;
    pack.issued -= 1;
    pack.redeemed += 1;
    acked('redeem');
  }

  function cancelled(c: Claim) {
    const pack = packs.find((p) => p.id === c.packId) as Pack;
    c.state = 'cancelled';
    c.volunteer.held -= c.points;
    c.volunteer.balance += c.points;
    pack.issued -= 1;
    acked('cancel');
  }

  function lost(c: Claim) {
    c.ambiguous = true;
    c.volunteer.ambiguous = true;
    (packs.find((p) => p.id === c.packId) as Pack).ambiguous = true;
  }

  async function redeem(): Promise<void> {
    const c = takeIssuedClaim();
    if (!c) return claim();
    try {
      const reply = await definite('redeem', () => post('/v1/redemptions/redeem', merchantToken, { token: c.token }));
      if (!reply) return lost(c);
      if (reply.status !== 200) return anomaly(`redeem of an issued claim: ${reply.status} ${JSON.stringify(reply.body)}`);
      settled(c, String(reply.body.redeemedAt));
      // The shop's retry: the same 200 again, nothing moves twice.
      if (random() < 0.3) {
        const again = await definite('redeem-again', () => post('/v1/redemptions/redeem', merchantToken, { token: c.token }));
        if (again && (again.status !== 200 || again.body.redeemedAt !== c.redeemedAt || again.body.id !== c.id)) anomaly(`redeem retry: ${again.status} ${JSON.stringify(again.body)}`);
      }
    } finally {
      c.busy = false;
    }
  }

  async function cancel(): Promise<void> {
    const c = takeIssuedClaim();
    if (!c) return claim();
    try {
      const reply = await definite('cancel', () => post(`/v1/redemptions/${c.id}/cancel`, c.volunteer.token, undefined));
      if (!reply) return lost(c);
      if (reply.status !== 200) return anomaly(`cancel of an issued claim: ${reply.status} ${JSON.stringify(reply.body)}`);
      cancelled(c);
    } finally {
      c.busy = false;
    }
  }

  /** The shop redeems while the volunteer cancels, at the same moment: exactly one of them wins. */
  async function redeemCancelRace(): Promise<void> {
    const c = takeIssuedClaim();
    if (!c) return claim();
    try {
      const [r, x] = await Promise.all([
        definite('race-redeem', () => post('/v1/redemptions/redeem', merchantToken, { token: c.token })),
        definite('race-cancel', () => post(`/v1/redemptions/${c.id}/cancel`, c.volunteer.token, undefined)),
      ]);
      if (!r || !x) return lost(c);
      const redeemWon = r.status === 200;
      const cancelWon = x.status === 200;
      if (redeemWon === cancelWon) return anomaly(`redeem/cancel race: redeem ${outcomeLabel(r)}, cancel ${outcomeLabel(x)}: exactly one must win`);
      if (redeemWon) {
        if (codeOf(x) !== 'token_already_used') anomaly(`race: cancel lost with ${outcomeLabel(x)}`);
        settled(c, String(r.body.redeemedAt));
      } else {
        if (codeOf(r) !== 'token_already_used') anomaly(`race: redeem lost with ${outcomeLabel(r)}`);
        cancelled(c);
      }
    } finally {
      c.busy = false;
    }
  }

  async function reverse(): Promise<void> {
    const open = awards.filter((a) => !a.reversal && !a.busy && !a.ambiguous && a.body.reason === 'bank award');
    const a = pick(open);
    if (!a) return award();
    a.busy = true;
    const v = volunteers.find((x) => x.id === a.body.volunteerId) as Volunteer;
    try {
      const race = random() < 0.25;
      const attempts = Array.from({ length: race ? 2 : 1 }, () => ({ key: randomUUID(), body: { reason: 'bank reversal' } }));
      const replies = await Promise.all(attempts.map((t) => definite('reverse', () => post(`/v1/transactions/${a.transactionId}/reverse`, admin, t.body, t.key))));
      if (replies.some((r) => !r)) {
        a.ambiguous = true;
        v.ambiguous = true;
        return;
      }
      const won = replies.flatMap((r, i) => (r?.status === 201 ? [{ reply: r, attempt: attempts[i] as { key: string; body: { reason: string } } }] : []));
      if (won.length > 1) return anomaly(`transaction ${a.transactionId} reversed ${won.length} times`);
      // Only this operation reverses this award (it is marked busy), so already_reversed is expected only from the racing twin.
      const refusals = race ? ['insufficient_points', 'already_reversed'] : ['insufficient_points'];
      for (const r of replies) {
        if (r && r.status !== 201 && !(r.status === 409 && refusals.includes(codeOf(r)))) anomaly(`reverse: ${outcomeLabel(r)} ${JSON.stringify(r.body)}`);
      }
      const first = won[0];
      if (!first) return;
      if (first.reply.body.reversesTransactionId !== a.transactionId) anomaly(`reverse answered ${JSON.stringify(first.reply.body)}`);
      a.reversal = { key: first.attempt.key, body: first.attempt.body, transactionId: String(first.reply.body.transactionId) };
      v.balance -= a.body.points;
      reversals.push(a);
      acked('reverse');
    } finally {
      a.busy = false;
    }
  }

  /** A client that never saw its answer sends the same request with the same key: it gets the original back. */
  async function replay(): Promise<void> {
    const choice = random();
    if (choice < 0.5) {
      const a = pick(awards);
      if (!a) return;
      const reply = await definite('replay-award', () => post('/v1/awards', admin, a.body, a.key));
      if (reply && (reply.status !== 201 || reply.body.transactionId !== a.transactionId || reply.headers.get('idempotent-replayed') !== 'true')) {
        anomaly(`award replay: ${reply.status} ${JSON.stringify(reply.body)} (original ${a.transactionId})`);
      }
    } else if (choice < 0.75) {
      const a = pick(reversals);
      const r = a?.reversal;
      if (!a || !r) return;
      const reply = await definite('replay-reverse', () => post(`/v1/transactions/${a.transactionId}/reverse`, admin, r.body, r.key));
      if (reply && (reply.status !== 201 || reply.body.transactionId !== r.transactionId)) anomaly(`reversal replay: ${reply.status} ${JSON.stringify(reply.body)} (original ${r.transactionId})`);
    } else {
      const c = pick(claims);
      if (!c) return;
      const reply = await definite('replay-claim', () => post('/v1/redemptions', c.volunteer.token, { packId: c.packId }, c.key));
      if (reply && (reply.status !== 201 || reply.body.id !== c.id || reply.body.token !== c.token)) anomaly(`claim replay: ${reply.status} ${JSON.stringify(reply.body)} (original ${c.id})`);
    }
    acked('replay');
  }

  /** The same key with a different body is refused and changes nothing. */
  async function reuse(): Promise<void> {
    const a = pick(awards);
    if (!a) return;
    const reply = await definite('reuse-key', () => post('/v1/awards', admin, { ...a.body, points: a.body.points + 1 }, a.key));
    if (reply && (reply.status !== 422 || codeOf(reply) !== 'idempotency_key_reused')) anomaly(`key reused with another body: ${outcomeLabel(reply)}`);
  }

  const operations: [number, () => Promise<void>][] = [
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
  function chooseOperation(): () => Promise<void> {
    let roll = random() * weightTotal;
    for (const [w, op] of operations) {
      roll -= w;
      if (roll < 0) return op;
    }
    return award;
  }

  // --- the run ---
  const started = performance.now();
  const until = started + options.durationSeconds * 1000;
  let writes = 0;
  const writers = Array.from({ length: options.clients }, async () => {
    while (performance.now() < until) {
      await chooseOperation()();
      writes += 1;
    }
  });
  const readers = Array.from({ length: readersCount }, async (_, i) => {
    while (performance.now() < until) {
      if (i % 2 === 0) {
        const t = await get<{ sumOfBalances?: number }>('/v1/ledger/totals', admin);
        count(`totals ${outcomeLabel(t)}`);
        if (t.status === 200) {
          report.totalsReads += 1;
          if (t.body.sumOfBalances !== 0) anomaly(`totals read: sumOfBalances ${String(t.body.sumOfBalances)}`);
        } else if (t.status !== 503) anomaly(`totals read: ${outcomeLabel(t)}`);
      } else {
        const v = pick(volunteers) as Volunteer;
        const b = await get<{ balance?: number; held?: number }>(`/v1/volunteers/${v.id}/balance`, v.token);
        count(`balance ${outcomeLabel(b)}`);
        if (b.status === 200) {
          report.balanceReads += 1;
          if (typeof b.body.balance !== 'number' || b.body.balance < 0 || typeof b.body.held !== 'number' || b.body.held < 0) anomaly(`balance read ${v.id}: ${JSON.stringify(b.body)}`);
        } else if (b.status !== 503) anomaly(`balance read: ${outcomeLabel(b)}`);
      }
    }
  });
  let progress: NodeJS.Timeout | undefined;
  if (options.log) {
    progress = setInterval(() => log(`bank: ${Math.round((performance.now() - started) / 1000)} s, ${writes} operations, ${report.totalsReads} totals reads, ${anomalyCount} anomalies`), 5000);
    progress.unref();
  }
  await Promise.all([...writers, ...readers]);
  clearInterval(progress);
  report.writesPerSecond = Math.round(writes / ((performance.now() - started) / 1000));

  // --- the final reckoning ---
  const verify = await call<{ ok?: boolean; entriesChecked?: number; firstMismatch?: unknown }>(options.baseUrls[0] as string, 'GET', '/v1/ledger/verify', { token: admin, timeoutMs: 300_000 });
  report.final.verifyOk = verify.status === 200 && verify.body.ok === true;
  report.final.entriesChecked = verify.body.entriesChecked ?? 0;
  if (!report.final.verifyOk) anomaly(`verify: ${verify.status} ${JSON.stringify(verify.body).slice(0, 500)}`);
  const totals = await get<{ sumOfBalances?: number }>('/v1/ledger/totals', admin);
  report.final.sumOfBalances = totals.body.sumOfBalances ?? null;
  if (totals.body.sumOfBalances !== 0) anomaly(`final totals: ${JSON.stringify(totals.body)}`);

  interface TransactionView {
    kind: string;
    reversesTransactionId: string | null;
    reversedByTransactionId: string | null;
    postings: { accountKind: string; ownerId: string | null; amount: number }[];
  }
  const readTransaction = async (id: string) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const r = await get<TransactionView>(`/v1/transactions/${id}`, admin);
      if (r.status !== 503 && r.status !== 0) return r;
      await sleep(200);
    }
    return get<TransactionView>(`/v1/transactions/${id}`, admin);
  };
  await forEachLimit(awards, 8, async (a) => {
    const r = await readTransaction(a.transactionId);
    report.final.transactionsChecked += 1;
    if (r.status !== 200) return anomaly(`acknowledged award ${a.transactionId} is not in the ledger: ${r.status}`);
    const credit = r.body.postings.find((p) => p.accountKind === 'volunteer' && p.ownerId === a.body.volunteerId);
    if (r.body.kind !== 'award' || credit?.amount !== a.body.points) anomaly(`award ${a.transactionId} reads ${JSON.stringify(r.body)}`);
    if (!a.ambiguous && r.body.reversedByTransactionId !== (a.reversal?.transactionId ?? null)) {
      anomaly(`award ${a.transactionId}: reversed by ${String(r.body.reversedByTransactionId)}, acknowledged reversal ${String(a.reversal?.transactionId ?? null)}`);
    }
    if (a.reversal) {
      const x = await readTransaction(a.reversal.transactionId);
      report.final.transactionsChecked += 1;
      if (x.status !== 200 || x.body.kind !== 'reversal' || x.body.reversesTransactionId !== a.transactionId) anomaly(`acknowledged reversal ${a.reversal.transactionId} reads ${x.status} ${JSON.stringify(x.body)}`);
    }
  });
  await forEachLimit(claims, 8, async (c) => {
    const r = await get<{ status?: string; volunteerId?: string; points?: number }>(`/v1/redemptions/${c.id}`, admin);
    report.final.redemptionsChecked += 1;
    if (r.status !== 200) return anomaly(`acknowledged claim ${c.id} is missing: ${r.status}`);
    if (r.body.volunteerId !== c.volunteer.id || r.body.points !== c.points) anomaly(`claim ${c.id} reads ${JSON.stringify(r.body)}`);
    if (!c.ambiguous && r.body.status !== c.state) anomaly(`claim ${c.id} is ${String(r.body.status)}; the acknowledged writes say ${c.state}`);
  });
  for (const v of volunteers) {
    if (v.ambiguous) {
      report.final.balancesSkipped += 1;
      continue;
    }
    const r = await get<{ balance?: number; held?: number }>(`/v1/volunteers/${v.id}/balance`, admin);
    report.final.balancesChecked += 1;
    if (r.status !== 200 || r.body.balance !== v.balance || r.body.held !== v.held) {
      anomaly(`volunteer ${v.id}: balance ${String(r.body.balance)} held ${String(r.body.held)}; acknowledged writes add up to ${v.balance} and ${v.held}`);
    }
  }
  for (const p of packs) {
    const r = await get<{ issued?: number; redeemed?: number; stockLeft?: number | null }>(`/v1/packs/${p.id}`, admin);
    report.final.packsChecked += 1;
    if (r.status !== 200) {
      anomaly(`pack ${p.id}: ${r.status}`);
      continue;
    }
    if (!p.ambiguous && (r.body.issued !== p.issued || r.body.redeemed !== p.redeemed)) anomaly(`pack ${p.id}: issued ${String(r.body.issued)} redeemed ${String(r.body.redeemed)}; expected ${p.issued} and ${p.redeemed}`);
    if (p.stock !== null && r.body.stockLeft !== p.stock - (r.body.issued ?? 0) - (r.body.redeemed ?? 0)) anomaly(`pack ${p.id}: stock not conserved ${JSON.stringify(r.body)}`);
    if (p.limit !== null) {
      for (const v of volunteers) {
        const live = claims.filter((c) => c.packId === p.id && c.volunteer === v && c.state !== 'cancelled').length;
        if (live > p.limit) anomaly(`volunteer ${v.id} holds ${live} claims on pack ${p.id} (limit ${p.limit})`);
      }
    }
  }
  if (anomalyCount > report.anomalies.length) report.anomalies.push(`… and ${anomalyCount - report.anomalies.length} more`);
  return report;
}

/** A few lines a person can read: what ran, what was acknowledged, what was checked, what went wrong. */
export function formatBankReport(r: BankReport): string {
  const ack = Object.entries(r.acknowledged)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return [
    `bank test: seed ${r.seed}, ${r.durationSeconds} s, ${r.clients} clients, ${r.readers} readers, ${r.volunteers} volunteers; ${r.writesPerSecond} operations/s`,
    `  acknowledged: ${ack}`,
    `  reads: ${r.totalsReads} totals (sumOfBalances 0 each time unless listed below), ${r.balanceReads} balances`,
    `  outcomes: ${Object.entries(r.outcomes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ')}`,
    `  answered only after a retry: ${r.retriedUnavailable}; no answer: ${r.noAnswer}; server errors: ${r.serverErrors}; ambiguous: ${r.ambiguous}`,
    `  final: verify ${r.final.verifyOk ? 'ok' : 'FAILED'} (${r.final.entriesChecked} entries), sumOfBalances ${String(r.final.sumOfBalances)}, ${r.final.transactionsChecked} transactions, ${r.final.redemptionsChecked} claims, ${r.final.balancesChecked} balances (${r.final.balancesSkipped} skipped as ambiguous), ${r.final.packsChecked} packs checked`,
    `  anomalies: ${r.anomalies.length === 0 ? 'none' : `\n    ${r.anomalies.join('\n    ')}`}`,
  ].join('\n');
}
