import { inScope, type Actor } from '../auth/actor.js';
import { subtreeFilter } from '../orgunits/scope.js';
import type { Tx } from '../db/database.js';
import { constraintName, sqlState } from '../db/errors.js';
import { newId } from '../db/ids.js';
import type { WishStatus } from '../db/types.js';
import type { ServiceDeps } from '../deps.js';
import { DomainError, forbidden, notFound, validationFailed } from '../errors.js';
import { decodeIdCursor, pageFrom } from '../http/paging.js';
import type { Metrics } from '../http/metrics.js';
import { anyIssuanceAccount, volunteerAccountId } from '../ledger/accounts.js';
import { applyLedger } from '../ledger/apply.js';
import { idempotent, type IdempotencyScope, type Replayable } from '../writes/idempotency.js';
import { withRetry } from '../writes/retry.js';
import { requireActiveOrgUnit } from '../orgunits/service.js';
import { findPerson } from '../people/repository.js';
import { holdsPostIn } from '../posts/repository.js';
import { underAny, volunteerPaths } from '../posts/scope.js';
import {
  expireDue,
  findCategoryByCode,
  findWish,
  insertWish,
  listEvents,
  listWishRows,
  lockWish,
  moveWish,
  shareCategory,
  type EventRow,
  type WishFilter,
  type WishRow,
} from './repository.js';
import { neededByDaysMax, type CreateWishInput, type Wish } from './schemas.js';
import { accessTo, type WishAccess } from './scope.js';

/**
 * Options only scripts pass (the demo programme seeds a past season): `at` stands in for the
 * database's clock in every comparison and timestamp of the call. HTTP requests never set it.
 */
export interface WishClock {
  at?: Date | undefined;
}

/** A wish's state as it reads now: an open wish past its neededBy reads as expired before the sweeper gets to it. */
const stateOf = (row: WishRow): WishStatus => (row.expired_now ? 'expired' : row.status);

function toEvent(e: EventRow) {
  return {
    version: e.version,
    from: e.from_status,
    to: e.to_status,
    actor: { role: e.actor_role, id: e.actor_id },
    takerId: e.taker_id,
    note: e.note,
    transactionId: e.transaction_id,
    createdAt: e.created_at.toISOString(),
  };
}

/**
 * The answer about a wish for one caller. Contacts are personal data: the resident's contact (or
 * the posting volunteer's name and phone) appear only for those `access.contacts` allows; everyone
 * else who may see the wish sees the request without them.
 */
function toWish(row: WishRow, access: WishAccess, events?: EventRow[]): Wish {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const onBehalfOf =
    row.on_behalf_name !== null ? { name: row.on_behalf_name, ...(access.contacts && row.on_behalf_contact !== null ? { contact: row.on_behalf_contact } : {}) } : null;
  let requester: Wish['requester'];
  if (access.contacts) {
    if (row.on_behalf_name !== null) requester = { name: row.on_behalf_name, contact: row.on_behalf_contact };
    else if (row.poster_name !== null) requester = { name: row.poster_name, contact: row.poster_phone };
    else requester = null;
  }
  return {
    id: row.id,
    orgUnitId: row.org_unit_id,
    category: row.category_code,
    categoryName: row.category_name,
    points: row.points_awarded ?? row.category_points,
    title: row.title,
    details: row.details,
    neededBy: iso(row.needed_by),
    status: stateOf(row),
    version: row.version,
    postedBy: { role: row.posted_by_role, id: row.posted_by_id },
    onBehalfOf,
    ...(access.contacts ? { requester } : {}),
    takerId: row.taker_id,
    takenAt: iso(row.taken_at),
    firstTakenAt: iso(row.first_taken_at),
    doneAt: iso(row.done_at),
    closedAt: iso(row.closed_at),
    priorityUntil: iso(row.priority_until),
    offeredToPostHolders: row.window_open && stateOf(row) === 'open',
    awardTransactionId: row.award_transaction_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    ...(events ? { history: events.map(toEvent) } : {}),
  };
}

/**
 * The volunteer scope a wish decision needs: only for a volunteer with no part in the wish (its
 * poster and taker know it whatever the unit).
 */
async function scopeFor(deps: ServiceDeps, db: ServiceDeps['db'], actor: Actor, row: WishRow): Promise<string[] | undefined> {
  if (actor.role !== 'volunteer' || row.poster_volunteer_id === actor.id || row.taker_id === actor.id) return undefined;
  return volunteerPaths(db, actor, deps.config.WISH_COMMUNITY_DEPTH);
}

/**
 * Posts a wish. A volunteer posts for itself, in its community (or a unit where it holds a post);
 * an organiser (in its subtree) or an admin posts on behalf of a resident, whose name and contact
 * are then required. The category must be active and the unit active. neededBy, when given, lies
 * in the future, at most a year ahead. If someone other than the poster holds a post in the unit, the
 * wish is offered to the post holders alone for WISH_POST_HOLDER_MINUTES. Idempotent when a key is given.
 */
export async function postWish(deps: ServiceDeps, actor: Actor, input: CreateWishInput, idempotency: IdempotencyScope | undefined, options: WishClock = {}): Promise<Replayable<Wish>> {
  if (actor.role === 'merchant') throw forbidden('merchants do not post wishes');
  if (actor.role === 'volunteer' && input.onBehalfOf) throw forbidden('a volunteer posts wishes for itself; organisers post on behalf of a resident');
  if (actor.role !== 'volunteer' && !input.onBehalfOf) {
    throw validationFailed([{ path: 'onBehalfOf', message: 'required when staff post a wish: the resident it is for (name and contact)' }]);
  }
  const now = options.at?.getTime() ?? Date.now();
  if (input.neededBy) {
    const due = Date.parse(input.neededBy);
    if (!(due > now)) throw validationFailed([{ path: 'neededBy', message: 'must be in the future' }]);
    if (due > now + neededByDaysMax * 86_400_000) throw validationFailed([{ path: 'neededBy', message: `must be within ${neededByDaysMax} days` }]);
  }
  const category = await findCategoryByCode(deps.db, input.category);
  if (!category) throw validationFailed([{ path: 'category', message: 'no such wish category' }]);
  if (category.status !== 'active') throw new DomainError('inactive', `the wish category ${category.code} is retired`);
  const unit = await requireActiveOrgUnit(deps, input.orgUnitId, 'orgUnitId');
  if (actor.role === 'organiser' && !inScope(actor, unit.path)) throw forbidden('that org unit is outside your scope');
  if (actor.role === 'volunteer' && !underAny(unit.path, await volunteerPaths(deps.db, actor, deps.config.WISH_COMMUNITY_DEPTH))) {
    throw forbidden('a volunteer posts wishes in its own community');
  }
  const id = newId();
  const outcome = await withRetry(() =>
    deps.db.transaction().execute((tx) =>
      idempotent(tx, idempotency, async () => {
        await insertWishChecked(
          tx,
          {
            id,
            org_unit_id: unit.id,
            category_id: category.id,
            title: input.title,
            details: input.details ?? null,
            needed_by: input.neededBy ? new Date(input.neededBy).toISOString() : null,
            posted_by_role: actor.role,
            posted_by_id: actor.id,
            poster_volunteer_id: actor.role === 'volunteer' ? actor.id : null,
            on_behalf_name: input.onBehalfOf?.name ?? null,
            on_behalf_contact: input.onBehalfOf?.contact ?? null,
          },
          deps.config.WISH_POST_HOLDER_MINUTES,
          options.at,
        );
        const row = await findWish(tx, id, options.at);
        if (!row) throw new Error(`wish ${id} vanished after insert`);
        return { status: 201, body: toWish(row, accessTo(actor, row, undefined), await listEvents(tx, id)) };
      }),
    ),
  );
  return { body: outcome.body, replayed: outcome.replayed };
}

/** Inserts a wish; a neededBy that the database's clock has already reached is the caller's mistake, not a fault. */
async function insertWishChecked(...args: Parameters<typeof insertWish>) {
  try {
    await insertWish(...args);
  } catch (error) {
    if (sqlState(error) === '23514' && constraintName(error) === 'wishes_needed_after_posting') throw validationFailed([{ path: 'neededBy', message: 'must be in the future' }]);
    throw error;
  }
}

/**
 * Lists wishes newest first. Admins see all, organisers their subtree; a volunteer sees the open
 * wishes of its community (and of units where it holds a post) plus the wishes it posted or has
 * taken. Filters narrow that: a unit's subtree, a state (as it reads now), a category, or only the
 * caller's own (`mine`: posted or taken). Contacts appear only where the caller may see them.
 */
export async function listWishes(
  deps: ServiceDeps,
  actor: Actor,
  query: { orgUnitId?: string | undefined; status?: WishStatus | undefined; category?: string | undefined; mine?: 'posted' | 'taken' | undefined; limit: number; cursor?: string | undefined },
  options: WishClock = {},
) {
  if (actor.role === 'merchant') throw forbidden('merchants do not read wishes');
  const withinPath = await subtreeFilter(deps.db, actor, query.orgUnitId);
  const filter: WishFilter = { withinPath, status: query.status, beforeId: decodeIdCursor(query.cursor), limit: query.limit };
  if (query.category) {
    const category = await findCategoryByCode(deps.db, query.category);
    if (!category) throw validationFailed([{ path: 'query.category', message: 'no such wish category' }]);
    filter.categoryId = category.id;
  }
  let paths: string[] | undefined;
  if (actor.role === 'volunteer') {
    paths = await volunteerPaths(deps.db, actor, deps.config.WISH_COMMUNITY_DEPTH);
    filter.volunteer = { id: actor.id, paths };
  }
  if (query.mine === 'posted') filter.postedBy = { role: actor.role, id: actor.id };
  if (query.mine === 'taken') {
    // Only volunteers take wishes: staff have taken none.
    if (actor.role !== 'volunteer') return { items: [], nextCursor: null };
    filter.takerId = actor.id;
  }
  const rows = await listWishRows(deps.db, filter, options.at);
  const page = pageFrom(rows, query.limit, (r) => [r.id]);
  return { items: page.items.map((row) => toWish(row, accessTo(actor, row, paths))), nextCursor: page.nextCursor };
}

/** One wish with its whole history, for those who may see it (anyone else: 404; merchants: 403). */
export async function getWish(deps: ServiceDeps, actor: Actor, id: string, options: WishClock = {}): Promise<Wish> {
  if (actor.role === 'merchant') throw forbidden('merchants do not read wishes');
  const row = await findWish(deps.db, id, options.at);
  if (!row) throw notFound('wish');
  const access = accessTo(actor, row, await scopeFor(deps, deps.db, actor, row));
  if (!access.visible) throw notFound('wish');
  return toWish(row, access, await listEvents(deps.db, id));
}

type Action = 'take' | 'assign' | 'release' | 'done' | 'confirm' | 'cancel';

const refused: Record<Action, string> = {
  take: 'taken',
  assign: 'assigned',
  release: 'released',
  done: 'marked done',
  confirm: 'confirmed',
  cancel: 'cancelled',
};

/** 409 for a move the wish's current state does not allow; the state is named in its own member. */
function wrongState(state: WishStatus, action: Action): DomainError {
  return new DomainError('invalid_transition', `a ${state} wish cannot be ${refused[action]}`, { wishStatus: state, action });
}

function alreadyTaken(row: WishRow, actorId: string | undefined): DomainError {
  const yours = actorId !== undefined && row.taker_id === actorId;
  return new DomainError('already_taken', yours ? 'you have already taken this wish' : 'another volunteer took this wish first', { wishStatus: stateOf(row), takenByYou: yours });
}

/**
 * Runs one move of one wish: locks the row, works out what the caller may do with it, lets `act`
 * decide (moving it, leaving it as it is, or refusing), and answers with the wish as it now
 * stands, all in one transaction (retried on a serialization failure or deadlock). The row lock
 * makes concurrent moves of a wish take turns: each sees the state the one before it left.
 */
async function moveOne(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  options: WishClock,
  idempotency: IdempotencyScope | undefined,
  act: (tx: Tx, row: WishRow, access: WishAccess) => Promise<void>,
): Promise<Replayable<Wish>> {
  if (actor.role === 'merchant') throw forbidden('merchants do not handle wishes');
  // A volunteer's working area is read before the wish is locked, so the lock is held only for the move.
  const scope = actor.role === 'volunteer' ? await volunteerPaths(deps.db, actor, deps.config.WISH_COMMUNITY_DEPTH) : undefined;
  const outcome = await withRetry(() =>
    deps.db.transaction().execute((tx) =>
      idempotent(tx, idempotency, async () => {
        const row = await lockWish(tx, id, options.at);
        if (!row) throw notFound('wish');
        const access = accessTo(actor, row, scope);
        if (!access.visible) throw notFound('wish');
        await act(tx, row, access);
        const after = await findWish(tx, id, options.at);
        if (!after) throw new Error(`wish ${id} vanished under its lock`);
        return { status: 200, body: toWish(after, accessTo(actor, after, scope), await listEvents(tx, id)) };
      }),
    ),
  );
  return { body: outcome.body, replayed: outcome.replayed };
}

/** The states in which a wish has a taker: a take or an assignment then hears "already taken". */
const held = new Set<WishStatus>(['taken', 'done', 'confirmed']);

/**
 * A volunteer takes an open wish of its community. Of concurrent takes exactly one wins (they take
 * turns on the row lock); the others hear already_taken. The poster cannot take its own wish. While
 * the post-holder window runs, only volunteers holding a post in the wish's unit may take it
 * (post_holder_window, with availableAt and Retry-After).
 */
export async function takeWish(deps: ServiceDeps, actor: Actor, id: string, options: WishClock = {}): Promise<Wish> {
  if (actor.role !== 'volunteer') throw forbidden('only volunteers take wishes; organisers assign them');
  const outcome = await moveOne(deps, actor, id, options, undefined, async (tx, row, access) => {
    if (access.poster) throw forbidden('you posted this wish; another volunteer takes it');
    const state = stateOf(row);
    if (held.has(state)) throw alreadyTaken(row, actor.id);
    if (state !== 'open') throw wrongState(state, 'take');
    if (row.window_open && row.priority_until && !(await holdsPostIn(tx, actor.id, row.org_unit_id))) {
      const now = options.at?.getTime() ?? Date.now();
      const seconds = Math.max(1, Math.ceil((row.priority_until.getTime() - now) / 1000));
      throw new DomainError('post_holder_window', "the wish is offered first to the unit's post holders; try again when the window ends", { availableAt: row.priority_until.toISOString() }, seconds);
    }
    await moveWish(tx, row, { to: 'taken', actor, takerId: actor.id }, options.at);
  });
  return outcome.body;
}

/**
 * An organiser in scope (or an admin) gives an open wish to a volunteer: the desk's way of
 * answering a resident who asked at the counter. The volunteer must be active, in the organiser's
 * subtree, and not the poster. The post-holder window does not bind staff.
 */
export async function assignWish(deps: ServiceDeps, actor: Actor, id: string, input: { volunteerId: string }, options: WishClock = {}): Promise<Wish> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only organisers and admins assign wishes');
  const outcome = await moveOne(deps, actor, id, options, undefined, async (tx, row) => {
    const volunteer = await findPerson(tx, 'volunteers', input.volunteerId);
    if (!volunteer || (actor.role === 'organiser' && !inScope(actor, volunteer.org_path))) throw validationFailed([{ path: 'volunteerId', message: 'no such volunteer in your scope' }]);
    if (volunteer.status !== 'active') throw new DomainError('inactive', 'the volunteer is inactive');
    if (row.poster_volunteer_id === volunteer.id) throw validationFailed([{ path: 'volunteerId', message: 'the volunteer posted this wish' }]);
    const state = stateOf(row);
    if (held.has(state)) throw alreadyTaken(row, undefined);
    if (state !== 'open') throw wrongState(state, 'assign');
    await moveWish(tx, row, { to: 'taken', actor, takerId: volunteer.id }, options.at);
  });
  return outcome.body;
}

/**
 * The taker lets a wish go (or an organiser in scope takes it back from a taker who went silent):
 * it is open again for anyone in scope. The history keeps who let go and why.
 */
export async function releaseWish(deps: ServiceDeps, actor: Actor, id: string, input: { reason?: string | undefined }, options: WishClock = {}): Promise<Wish> {
  const outcome = await moveOne(deps, actor, id, options, undefined, async (tx, row, access) => {
    const state = stateOf(row);
    // With nobody holding the wish, its state is what is wrong; with someone else holding it, the caller.
    if (row.taker_id === null) throw wrongState(state, 'release');
    if (!access.manager && row.taker_id !== actor.id) throw forbidden('only the volunteer who took the wish, or an organiser, releases it');
    if (state !== 'taken') throw wrongState(state, 'release');
    await moveWish(tx, row, { to: 'open', actor, takerId: row.taker_id, note: input.reason }, options.at);
  });
  return outcome.body;
}

/** The taker says the wish is done, with a note of what was done. Saying it again changes nothing. */
export async function markWishDone(deps: ServiceDeps, actor: Actor, id: string, input: { note?: string | undefined }, options: WishClock = {}): Promise<Wish> {
  if (actor.role !== 'volunteer') throw forbidden('only the volunteer who took the wish marks it done');
  const outcome = await moveOne(deps, actor, id, options, undefined, async (tx, row) => {
    const state = stateOf(row);
    if (row.taker_id === null) throw wrongState(state, 'done');
    if (row.taker_id !== actor.id) throw forbidden('only the volunteer who took the wish marks it done');
    if (state === 'done') return;
    if (state !== 'taken') throw wrongState(state, 'done');
    await moveWish(tx, row, { to: 'done', actor, takerId: actor.id, note: input.note }, options.at);
  });
  return outcome.body;
}

/**
 * The poster (or an organiser in scope, or an admin) confirms a done wish, and in the same database
 * transaction the taker is awarded the category's points as they are now, from issuance, through
 * ledger_apply: an 'award' whose reference is the wish and whose memo names only the category.
 * Exactly once per wish whatever the retries or races: the wish row is locked, a confirmed wish
 * answers with itself and awards nothing more, and the database refuses a second confirmation or a
 * confirmation without its award. Idempotent per caller and key when an Idempotency-Key is given.
 * Points go only to an active volunteer (inactive otherwise).
 */
export async function confirmWish(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  input: { note?: string | undefined },
  idempotency: IdempotencyScope | undefined,
  options: WishClock = {},
): Promise<Replayable<Wish>> {
  return moveOne(deps, actor, id, options, idempotency, async (tx, row, access) => {
    if (!access.poster && !access.manager) throw forbidden('only the poster, or an organiser, confirms a wish');
    const state = stateOf(row);
    if (state === 'confirmed') return;
    if (state !== 'done') throw wrongState(state, 'confirm');
    const taker = row.taker_id;
    if (!taker) throw new Error(`done wish ${row.id} has no taker`);
    const category = await shareCategory(tx, row.category_id);
    if (!category) throw new Error(`wish ${row.id} has no category`);
    const transactionId = newId();
    await applyLedger(tx, {
      guard: { volunteerId: taker, requireActive: true },
      transaction: { id: transactionId, kind: 'award', memo: `微心愿 · ${category.name}`, reference: row.id, actorRole: actor.role, actorId: actor.id },
      postings: [
        { account: anyIssuanceAccount, amount: -category.points },
        { account: volunteerAccountId(taker), amount: category.points },
      ],
    });
    await moveWish(tx, row, { to: 'confirmed', actor, note: input.note, award: { transactionId, points: category.points } }, options.at);
  });
}

/**
 * The poster (or an organiser in scope, or an admin) withdraws an open or taken wish. Cancelling
 * again changes nothing; a wish already done, confirmed or expired cannot be cancelled.
 */
export async function cancelWish(deps: ServiceDeps, actor: Actor, id: string, input: { reason?: string | undefined }, options: WishClock = {}): Promise<Wish> {
  const outcome = await moveOne(deps, actor, id, options, undefined, async (tx, row, access) => {
    if (!access.poster && !access.manager) throw forbidden('only the poster, or an organiser, cancels a wish');
    const state = stateOf(row);
    if (state === 'cancelled') return;
    if (state !== 'open' && state !== 'taken') throw wrongState(state, 'cancel');
    await moveWish(tx, row, { to: 'cancelled', actor, takerId: row.taker_id, note: input.reason }, options.at);
  });
  return outcome.body;
}

/** Most wishes one sweep expires; a backlog is worked off in slices of this size. */
export const wishSweepBatch = 200;
/** Most slices one sweep runs, so a huge backlog never holds the sweeper for long. */
const wishSweepSlicesMax = 50;

/**
 * Expires open wishes past their neededBy, in slices (see expireDue: SKIP LOCKED, so every instance
 * may sweep at once). Returns how many it expired.
 */
export async function sweepExpiredWishes(deps: Pick<ServiceDeps, 'db'>, batch = wishSweepBatch): Promise<number> {
  let expired = 0;
  for (let slice = 0; slice < wishSweepSlicesMax; slice++) {
    const n = await withRetry(() => expireDue(deps.db, batch));
    expired += n;
    if (n < batch) break;
  }
  return expired;
}

/** Starts the background wish expiry on SWEEPER_INTERVAL_MS; returns a stop function. Safe on every instance. */
export function startWishSweeper(deps: Pick<ServiceDeps, 'db' | 'logger' | 'config'> & { metrics: Metrics }): () => void {
  if (deps.config.SWEEPER_INTERVAL_MS === 0) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepExpiredWishes(deps)
      .then((expired) => {
        deps.metrics.sweeperRuns.inc({ sweeper: 'wishes', outcome: 'ok' });
        if (expired > 0) deps.logger.info({ expired }, 'expired wishes past their date');
      })
      .catch((error: unknown) => {
        deps.metrics.sweeperRuns.inc({ sweeper: 'wishes', outcome: 'failed' });
        deps.logger.warn({ err: error }, 'wish expiry sweep failed; will retry');
      })
      .finally(() => {
        running = false;
      });
  }, deps.config.SWEEPER_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
