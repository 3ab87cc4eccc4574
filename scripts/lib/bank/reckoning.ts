import { call, sleep } from '../http.js';
import type { Bank } from './context.js';

/**
 * The final reckoning, once the load has stopped: the ledger verifies and its balances sum to zero;
 * every acknowledged award, reversal and claim reads back as acknowledged; and every volunteer's
 * balance and held points, and every pack's counters, equal what the acknowledged writes add up to
 * (except where an ambiguous outcome leaves them unknown).
 */
export async function reckonBank(b: Bank): Promise<void> {
  const { report, admin } = b;
  const verify = await call<{ ok?: boolean; entriesChecked?: number; firstMismatch?: unknown }>(b.options.baseUrls[0] as string, 'GET', '/v1/ledger/verify', { token: admin, timeoutMs: 300_000 });
  report.final.verifyOk = verify.status === 200 && verify.body.ok === true;
  report.final.entriesChecked = verify.body.entriesChecked ?? 0;
  if (!report.final.verifyOk) b.anomaly(`verify: ${verify.status} ${JSON.stringify(verify.body).slice(0, 500)}`);
  const totals = await b.get<{ sumOfBalances?: number }>('/v1/ledger/totals', admin);
  report.final.sumOfBalances = totals.body.sumOfBalances ?? null;
  if (totals.body.sumOfBalances !== 0) b.anomaly(`final totals: ${JSON.stringify(totals.body)}`);

  await checkTransactions(b);
  await checkClaims(b);
  await checkBalances(b);
  await checkPacks(b);
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

interface TransactionView {
  kind: string;
  reversesTransactionId: string | null;
  reversedByTransactionId: string | null;
  postings: { accountKind: string; ownerId: string | null; amount: number }[];
}

/** Every acknowledged award (and its reversal, if one was acknowledged) is in the ledger as acknowledged. */
async function checkTransactions(b: Bank): Promise<void> {
  const readTransaction = async (id: string) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const r = await b.get<TransactionView>(`/v1/transactions/${id}`, b.admin);
      if (r.status !== 503 && r.status !== 0) return r;
      await sleep(200);
    }
    return b.get<TransactionView>(`/v1/transactions/${id}`, b.admin);
  };
  await forEachLimit(b.awards, 8, async (a) => {
    const r = await readTransaction(a.transactionId);
    b.report.final.transactionsChecked += 1;
    if (r.status !== 200) return b.anomaly(`acknowledged award ${a.transactionId} is not in the ledger: ${r.status}`);
    const credit = r.body.postings.find((p) => p.accountKind === 'volunteer' && p.ownerId === a.body.volunteerId);
    if (r.body.kind !== 'award' || credit?.amount !== a.body.points) b.anomaly(`award ${a.transactionId} reads ${JSON.stringify(r.body)}`);
    if (!a.ambiguous && r.body.reversedByTransactionId !== (a.reversal?.transactionId ?? null)) {
      b.anomaly(`award ${a.transactionId}: reversed by ${String(r.body.reversedByTransactionId)}, acknowledged reversal ${String(a.reversal?.transactionId ?? null)}`);
    }
    if (a.reversal) {
      const x = await readTransaction(a.reversal.transactionId);
      b.report.final.transactionsChecked += 1;
      if (x.status !== 200 || x.body.kind !== 'reversal' || x.body.reversesTransactionId !== a.transactionId) b.anomaly(`acknowledged reversal ${a.reversal.transactionId} reads ${x.status} ${JSON.stringify(x.body)}`);
    }
  });
}

/** Every acknowledged claim exists, for its volunteer and price, in the state the acknowledged writes left it. */
async function checkClaims(b: Bank): Promise<void> {
  await forEachLimit(b.claims, 8, async (c) => {
    const r = await b.get<{ status?: string; volunteerId?: string; points?: number }>(`/v1/redemptions/${c.id}`, b.admin);
    b.report.final.redemptionsChecked += 1;
    if (r.status !== 200) return b.anomaly(`acknowledged claim ${c.id} is missing: ${r.status}`);
    if (r.body.volunteerId !== c.volunteer.id || r.body.points !== c.points) b.anomaly(`claim ${c.id} reads ${JSON.stringify(r.body)}`);
    if (!c.ambiguous && r.body.status !== c.state) b.anomaly(`claim ${c.id} is ${String(r.body.status)}; the acknowledged writes say ${c.state}`);
  });
}

/** Each volunteer's balance and held points are exactly what the acknowledged writes add up to. */
async function checkBalances(b: Bank): Promise<void> {
  for (const v of b.volunteers) {
    if (v.ambiguous) {
      b.report.final.balancesSkipped += 1;
      continue;
    }
    const r = await b.get<{ balance?: number; held?: number }>(`/v1/volunteers/${v.id}/balance`, b.admin);
    b.report.final.balancesChecked += 1;
    if (r.status !== 200 || r.body.balance !== v.balance || r.body.held !== v.held) {
      b.anomaly(`volunteer ${v.id}: balance ${String(r.body.balance)} held ${String(r.body.held)}; acknowledged writes add up to ${v.balance} and ${v.held}`);
    }
  }
}

/** Each pack's issued and redeemed counts match, its stock is conserved, and no volunteer holds more claims than its limit. */
async function checkPacks(b: Bank): Promise<void> {
  for (const p of b.packs) {
    const r = await b.get<{ issued?: number; redeemed?: number; stockLeft?: number | null }>(`/v1/packs/${p.id}`, b.admin);
    b.report.final.packsChecked += 1;
    if (r.status !== 200) {
      b.anomaly(`pack ${p.id}: ${r.status}`);
      continue;
    }
    if (!p.ambiguous && (r.body.issued !== p.issued || r.body.redeemed !== p.redeemed)) b.anomaly(`pack ${p.id}: issued ${String(r.body.issued)} redeemed ${String(r.body.redeemed)}; expected ${p.issued} and ${p.redeemed}`);
    if (p.stock !== null && r.body.stockLeft !== p.stock - (r.body.issued ?? 0) - (r.body.redeemed ?? 0)) b.anomaly(`pack ${p.id}: stock not conserved ${JSON.stringify(r.body)}`);
    if (p.limit !== null) {
      for (const v of b.volunteers) {
        const live = b.claims.filter((c) => c.packId === p.id && c.volunteer === v && c.state !== 'cancelled').length;
        if (live > p.limit) b.anomaly(`volunteer ${v.id} holds ${live} claims on pack ${p.id} (limit ${p.limit})`);
      }
    }
  }
}
