import type { Actor } from '../auth/actor.js';
import { newId } from '../db/ids.js';
import type { ServiceDeps } from '../deps.js';
import { DomainError, forbidden, notFound, validationFailed } from '../errors.js';
import { decodeIdCursor, pageFrom } from '../http/paging.js';
import { withRetry } from '../writes/retry.js';
import { findMerchant } from '../merchants/repository.js';
import { findPack, findPackForUpdate, insertPack, listClaimable, listForMerchant, updatePack as updatePackRow, type PackView } from './repository.js';
import type { CreatePackInput, Pack, UpdatePackInput } from './schemas.js';

export function toPack(row: PackView): Pack {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    title: row.title,
    description: row.description,
    points: row.points,
    stock: row.stock_initial,
    stockLeft: row.stock_left,
    issued: row.issued,
    redeemed: row.redeemed,
    perVolunteerLimit: row.per_volunteer_limit,
    validFrom: row.valid_from?.toISOString() ?? null,
    validUntil: row.valid_until?.toISOString() ?? null,
    minStarLevel: row.min_star_level,
    status: row.status,
    createdAt: row.created_at.toISOString(),
  };
}

/** Admins manage every merchant's packs; a merchant manages only its own. */
function assertManages(actor: Actor, merchantId: string) {
  if (actor.role === 'admin') return;
  if (actor.role === 'merchant' && actor.id === merchantId) return;
  throw forbidden('only admins and the merchant itself manage its packs');
}

/**
 * Publishes a benefit pack for a merchant (admin, or the merchant itself). The merchant must exist
 * and be active. Price and initial stock are fixed for the pack's life: claims already issued carry
 * the price, and the stock counters are checked against the initial stock by the database.
 */
export async function createPack(deps: ServiceDeps, actor: Actor, input: CreatePackInput): Promise<Pack> {
  assertManages(actor, input.merchantId);
  const merchant = await findMerchant(deps.db, input.merchantId);
  if (!merchant) throw validationFailed([{ path: 'merchantId', message: 'no such merchant' }]);
  if (merchant.status !== 'active') throw new DomainError('inactive', 'the merchant is inactive');
  const stock = input.stock ?? null;
  const row = await insertPack(deps.db, {
    id: newId(),
    merchant_id: merchant.id,
    title: input.title,
    description: input.description ?? null,
    points: input.points,
    stock_initial: stock,
    stock_left: stock,
    per_volunteer_limit: input.perVolunteerLimit ?? null,
    valid_from: input.validFrom ? new Date(input.validFrom) : null,
    valid_until: input.validUntil ? new Date(input.validUntil) : null,
    min_star_level: input.minStarLevel ?? null,
    created_by_role: actor.role,
    created_by_id: actor.id,
  });
  return toPack({ ...row, issued: 0, redeemed: 0 });
}

/** Any authenticated caller may read a pack, whatever its status: the catalogue is public to members. */
export async function getPack(deps: ServiceDeps, _actor: Actor, id: string): Promise<Pack> {
  const row = await findPack(deps.db, id);
  if (!row) throw notFound('pack');
  return toPack(row);
}

/** The catalogue: packs that can be claimed now, with stock left, oldest first. */
export async function listCatalogue(deps: ServiceDeps, _actor: Actor, query: { merchantId?: string | undefined; limit: number; cursor?: string | undefined }) {
  const rows = await listClaimable(deps.db, { merchantId: query.merchantId, afterId: decodeIdCursor(query.cursor), limit: query.limit });
  const page = pageFrom(rows, query.limit, (r) => [r.id]);
  return { items: page.items.map(toPack), nextCursor: page.nextCursor };
}

/**
 * Every pack of one merchant, paused, retired and out of window included, oldest first: what the
 * merchant and the office manage (the catalogue shows only what can be claimed now). The merchant
 * itself and admins; another merchant gets 404, other roles 403.
 */
export async function listMerchantPacks(
  deps: ServiceDeps,
  actor: Actor,
  merchantId: string,
  query: { status?: Pack['status'] | undefined; limit: number; cursor?: string | undefined },
) {
  if (actor.role === 'merchant' && actor.id !== merchantId) throw notFound('merchant');
  assertManages(actor, merchantId);
  if (!(await findMerchant(deps.db, merchantId))) throw notFound('merchant');
  const rows = await listForMerchant(deps.db, { merchantId, status: query.status, afterId: decodeIdCursor(query.cursor), limit: query.limit });
  const page = pageFrom(rows, query.limit, (r) => [r.id]);
  return { items: page.items.map(toPack), nextCursor: page.nextCursor };
}

/**
 * Changes a pack's wording, window or status (admin, the merchant itself). Pausing or retiring stops
 * new claims at once (claims lock the pack row and re-check its status); claims already issued can
 * still be redeemed or cancelled. A retired pack stays retired.
 */
export async function updatePack(deps: ServiceDeps, actor: Actor, id: string, input: UpdatePackInput): Promise<Pack> {
  await withRetry(() =>
    deps.db.transaction().execute(async (tx) => {
      const pack = await findPackForUpdate(tx, id);
      if (!pack) throw notFound('pack');
      assertManages(actor, pack.merchant_id);
      if (pack.status === 'retired' && input.status !== undefined && input.status !== 'retired') throw new DomainError('conflict', 'a retired pack stays retired');
      const validFrom = input.validFrom === undefined ? pack.valid_from : input.validFrom === null ? null : new Date(input.validFrom);
      const validUntil = input.validUntil === undefined ? pack.valid_until : input.validUntil === null ? null : new Date(input.validUntil);
      if (validFrom && validUntil && validUntil <= validFrom) throw validationFailed([{ path: 'validUntil', message: 'must be after validFrom' }]);
      return updatePackRow(tx, id, {
        ...(input.title !== undefined ? { title: input.title } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.status !== undefined ? { status: input.status } : {}),
        valid_from: validFrom,
        valid_until: validUntil,
      });
    }),
  );
  return getPack(deps, actor, id);
}
