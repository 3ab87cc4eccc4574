import { outcomeLabel } from '../http.js';
import type { Bank } from './context.js';
import { chooseOperation } from './operations.js';
import type { Volunteer } from './types.js';

/**
 * The run itself: `clients` writer loops making weighted random operations and `readers` loops
 * reading programme totals (sumOfBalances must be 0 at every read) and volunteers' balances (never
 * negative), until the duration is up. Returns how many operations the writers made.
 */
export async function driveBank(b: Bank): Promise<{ writes: number; seconds: number }> {
  const { options, report } = b;
  const started = performance.now();
  const until = started + options.durationSeconds * 1000;
  let writes = 0;
  const writers = Array.from({ length: options.clients }, async () => {
    while (performance.now() < until) {
      await chooseOperation(b)(b);
      writes += 1;
    }
  });
  const readers = Array.from({ length: report.readers }, async (_, i) => {
    while (performance.now() < until) {
      if (i % 2 === 0) {
        const t = await b.get<{ sumOfBalances?: number }>('/v1/ledger/totals', b.admin);
        b.count(`totals ${outcomeLabel(t)}`);
        if (t.status === 200) {
          report.totalsReads += 1;
          if (t.body.sumOfBalances !== 0) b.anomaly(`totals read: sumOfBalances ${String(t.body.sumOfBalances)}`);
        } else if (t.status !== 503) b.anomaly(`totals read: ${outcomeLabel(t)}`);
      } else {
        const v = b.pick(b.volunteers) as Volunteer;
        const r = await b.get<{ balance?: number; held?: number }>(`/v1/volunteers/${v.id}/balance`, v.token);
        b.count(`balance ${outcomeLabel(r)}`);
        if (r.status === 200) {
          report.balanceReads += 1;
          if (typeof r.body.balance !== 'number' || r.body.balance < 0 || typeof r.body.held !== 'number' || r.body.held < 0) b.anomaly(`balance read ${v.id}: ${JSON.stringify(r.body)}`);
        } else if (r.status !== 503) b.anomaly(`balance read: ${outcomeLabel(r)}`);
      }
    }
  });
  let progress: NodeJS.Timeout | undefined;
  if (options.log) {
    const log = options.log;
    progress = setInterval(() => log(`bank: ${Math.round((performance.now() - started) / 1000)} s, ${writes} operations, ${report.totalsReads} totals reads, ${b.anomalyCount()} anomalies`), 5000);
    progress.unref();
  }
  await Promise.all([...writers, ...readers]);
  clearInterval(progress);
  return { writes, seconds: (performance.now() - started) / 1000 };
}
