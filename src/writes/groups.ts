import { randomInt } from 'node:crypto';
import { statement, type Db } from '../db/database.js';
import { isRetryable, mapDatabaseError } from '../db/errors.js';
import { DomainError } from '../errors.js';
import { issuanceAccountId, issuanceShards, resolveIssuance } from '../ledger/accounts.js';
import { applyLedger, type LedgerOutcome, type LedgerRequest } from '../ledger/apply.js';

/**
 * Group commit for the service's single-statement writes: awards, adjustments and reversals
 * (ledger_apply), claims (redemption_claim) and redeems (redemption_redeem).
 *
 * A write goes to the database at once when fewer than `groupsMax` groups are running; otherwise it
 * waits, and everything that arrived meanwhile (up to `groupSizeMax`) goes as the next group: one
 * round trip, one database transaction and one commit for all of them (write_group in
 * sql/0012_write_group_one_subtransaction.sql). A refused item changes nothing and does not disturb
 * the others: the database runs the group whole and, if an item is refused, again with each item in
 * its own subtransaction. After a group with a refusal, the next group of that kind asks for the
 * second way at once, so a burst of refusals (a pack selling out) never pays for both; after a group
 * without one, groups go whole again. A caller hears its answer only once its group has committed.
 * Under load this is what keeps the service's CPU per write low: the round trip, the commit and the
 * driver's work are shared by the group. With no load nothing waits.
 *
 * A group that fails as a whole did nothing. If the failure is a deadlock or serialization failure,
 * every caller gets it and its own withRetry runs the write again (in a later group). Any other
 * failure (a timeout, a malformed item) is not trusted to be any one item's fault: each item is run
 * again alone, so a bad item fails only itself.
 *
 * A group holds one kind of write (ledger, claim or redeem): claims of a pack all lock that pack's
 * row and redeems at a shop all lock the shop's account, so a mixed group would hold both and make
 * claims and redeems wait for each other. Kinds take turns oldest-first. For the same reason a claim
 * of a pack waits in the queue while a group claiming that pack is running, and a redeem at a shop
 * while a group redeeming at that shop is: sent, it would only wait on the row inside the database,
 * holding a connection and a group's place, while it can instead join the next group for that row.
 * So a busy pack or shop gets one group at a time, as large as the queue allows, and the other
 * places go to writes that can run. Every award and adjustment in a group draws on one issuance
 * shard, a different one for each running group, so concurrent groups never queue behind each other
 * on issuance.
 */
export interface WriteGroups {
  ledger(request: LedgerRequest): Promise<LedgerOutcome>;
  /** redemption_claim's argument (sql/0010_packs_and_redemptions.sql). */
  claim(request: { redemption: { packId: string } & Record<string, unknown> } & Record<string, unknown>): Promise<{ replayed: boolean; body: unknown }>;
  /** redemption_redeem's argument. */
  redeem(request: { merchantId: string } & Record<string, unknown>): Promise<Record<string, unknown>>;
}

export interface WriteGroupOptions {
  /** Most groups in the database at once (each holds one connection while it runs). */
  groupsMax: number;
  /** Most writes in one group. At most 32: each can use two subtransactions, and PostgreSQL tracks 64 per transaction cheaply. */
  groupSizeMax: number;
  /** Called with each group's size as it is sent (for the metrics). */
  onGroup?: (size: number) => void;
}

type Op = 'ledger' | 'claim' | 'redeem';

interface Pending {
  op: Op;
  arg: unknown;
  /** Arrival order, so the kinds of write take turns oldest-first. */
  seq: number;
  /** The hot row this write will wait on (a pack, a shop's account), if any: one running group per row. */
  row: string | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** An item's own refusal inside a group, shaped like a driver error so the one mapping applies. */
export class GroupItemError extends Error {
  readonly code: string;
  readonly detail: string | undefined;
  readonly constraint_name: string | undefined;
  constructor(error: { code: string; message: string; detail?: string | null; constraint_name?: string | null }) {
    super(error.message);
    this.name = 'GroupItemError';
    this.code = error.code;
    this.detail = error.detail ?? undefined;
    this.constraint_name = error.constraint_name ?? undefined;
  }
}

type ItemResult = { ok: unknown } | { error: { code: string; message: string; detail?: string | null; constraint_name?: string | null } };

const single: Record<Exclude<Op, 'ledger'>, (db: Db, arg: string) => Promise<{ r: unknown }[]>> = {
  claim: statement<{ r: unknown }>('select redemption_claim($1::text::jsonb) as r'),
  redeem: statement<{ r: unknown }>('select redemption_redeem($1::text::jsonb) as r'),
};
const callGroup = statement<{ r: ItemResult[] }>('select write_group($1::text::jsonb, $2::boolean) as r');

const groupSizeLimit = 32;

export function createWriteGroups(db: Db, options: WriteGroupOptions): WriteGroups {
  const groupsMax = Math.max(1, options.groupsMax);
  const groupSizeMax = Math.min(groupSizeLimit, Math.max(1, options.groupSizeMax));
  const queues: Record<Op, Pending[]> = { ledger: [], claim: [], redeem: [] };
  let arrivals = 0;
  let running = 0;
  let shardCursor = randomInt(issuanceShards);
  /** Rows (see Pending.row) that a running group holds; a group takes only writes whose row is free, so one group per row. */
  const busy = new Set<string>();
  /** Per kind of write: did the last group of that kind have a refused item? */
  const refusedLast: Record<Op, boolean> = { ledger: false, claim: false, redeem: false };

  const runAlone = async (item: Pending, issuance: string) => {
    try {
      if (item.op === 'ledger') {
        item.resolve(await applyLedger(db, resolveIssuance(item.arg as LedgerRequest, issuance)));
        return;
      }
      const [row] = await single[item.op](db, JSON.stringify(item.arg));
      if (!row || row.r === null || row.r === undefined) throw new Error(`${item.op} returned nothing`);
      item.resolve(row.r);
    } catch (error) {
      item.reject(error);
    }
  };

  const runGroup = async (items: Pending[]) => {
    const issuance = issuanceAccountId(shardCursor++ % issuanceShards);
    options.onGroup?.(items.length);
    if (items.length === 1) return runAlone(items[0]!, issuance);
    const op = items[0]!.op;
    let results: ItemResult[];
    try {
      const payload = items.map((item) => ({ op: item.op, arg: item.op === 'ledger' ? resolveIssuance(item.arg as LedgerRequest, issuance) : item.arg }));
      const [row] = await callGroup(db, JSON.stringify(payload), refusedLast[op]);
      results = row?.r ?? [];
      if (results.length !== items.length) throw new Error(`write_group answered ${results.length} results for ${items.length} items`);
    } catch (error) {
      const mapped = mapDatabaseError(error);
      if (isRetryable(error) || (mapped instanceof DomainError && mapped.code === 'service_unavailable')) {
        for (const item of items) item.reject(error);
        return;
      }
      // One after another on this group's turn, so a rare fallback never floods the pool.
      for (const item of items) await runAlone(item, issuance);
      return;
    }
    refusedLast[op] = results.some((result) => 'error' in result);
    results.forEach((result, i) => {
      const item = items[i]!;
      if ('ok' in result) item.resolve(result.ok);
      else item.reject(new GroupItemError(result.error));
    });
  };

  const free = (item: Pending) => item.row === undefined || !busy.has(item.row);

  /** The kind of write whose oldest write that could run now arrived first, if any. */
  const nextOp = (): Op | undefined => {
    let next: Op | undefined;
    let nextSeq = Infinity;
    for (const op of ['ledger', 'claim', 'redeem'] as const) {
      const oldest = queues[op].find(free);
      if (oldest && oldest.seq < nextSeq) [next, nextSeq] = [op, oldest.seq];
    }
    return next;
  };

  /** Takes the next group of `op` off its queue: the oldest writes that could run now, up to the size limit. */
  const take = (op: Op): Pending[] => {
    const items: Pending[] = [];
    const waiting: Pending[] = [];
    for (const item of queues[op]) (items.length < groupSizeMax && free(item) ? items : waiting).push(item);
    queues[op] = waiting;
    return items;
  };

  const hold = (items: Pending[], held: boolean) => {
    for (const { row } of items) {
      if (row === undefined) continue;
      if (held) busy.add(row);
      else busy.delete(row);
    }
  };

  const pump = () => {
    while (running < groupsMax) {
      const op = nextOp();
      if (op === undefined) return;
      const items = take(op);
      running += 1;
      hold(items, true);
      void runGroup(items)
        .catch((error: unknown) => {
          // Nothing above should throw; if it did, no caller may be left waiting (settled ones ignore this).
          for (const item of items) item.reject(error);
        })
        .finally(() => {
          running -= 1;
          hold(items, false);
          pump();
        });
    }
  };

  const submit = <T>(op: Op, arg: unknown, row?: string) =>
    new Promise<T>((resolve, reject) => {
      queues[op].push({ op, arg, seq: arrivals++, row, resolve: resolve as (value: unknown) => void, reject });
      pump();
    });

  return {
    ledger: (request) => submit<LedgerOutcome>('ledger', request),
    claim: (request) => submit('claim', request, `pack:${request.redemption.packId}`),
    redeem: (request) => submit('redeem', request, `account:${request.merchantId}`),
  };
}
