import { linkAtRegistration } from '../auth/identities.js';
import { principalDeactivated } from '../auth/principals.js';
import type { Actor } from '../auth/actor.js';
import { newId } from '../db/ids.js';
import { openMerchantAccounts } from '../ledger/accounts.js';
import type { Status } from '../db/types.js';
import type { ServiceDeps } from '../deps.js';
import { forbidden, notFound } from '../errors.js';
import { decodeIdCursor, pageFrom } from '../http/paging.js';
import { findOrgUnit } from '../orgunits/repository.js';
import { requireActiveOrgUnit } from '../orgunits/service.js';
import { findMerchant, insertMerchant, listMerchants as listRows, setMerchantStatus, type MerchantRow } from './repository.js';
import type { CreateMerchantInput, Merchant } from './schemas.js';

export function toMerchant(row: MerchantRow): Merchant {
  return { id: row.id, name: row.name, orgUnitId: row.org_unit_id, status: row.status, createdAt: row.created_at.toISOString() };
}

/** Partner shops are signed up by the programme office. */
export async function createMerchant(deps: ServiceDeps, actor: Actor, input: CreateMerchantInput): Promise<Merchant> {
  if (actor.role !== 'admin') throw forbidden('only admins sign up merchants');
  const unit = input.orgUnitId ? await requireActiveOrgUnit(deps, input.orgUnitId, 'orgUnitId') : undefined;
  const id = newId();
  const row = await deps.db.transaction().execute(async (tx) => {
    const inserted = await insertMerchant(tx, { id, name: input.name, org_unit_id: unit?.id ?? null });
    await openMerchantAccounts(tx, id);
    await linkAtRegistration(tx, deps.config, 'merchant', id, input.externalSubject);
    return inserted;
  });
  return toMerchant(row);
}

/** Shops are public partners: every authenticated caller may see who they are (the catalogue names them). */
export async function getMerchant(deps: ServiceDeps, _actor: Actor, id: string): Promise<Merchant> {
  const row = await findMerchant(deps.db, id);
  if (!row) throw notFound('merchant');
  return toMerchant(row);
}

export async function listMerchants(
  deps: ServiceDeps,
  _actor: Actor,
  query: { orgUnitId?: string | undefined; status?: Status | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: Merchant[]; nextCursor: string | null }> {
  let withinPath: string | undefined;
  if (query.orgUnitId) {
    const unit = await findOrgUnit(deps.db, query.orgUnitId);
    if (!unit) throw notFound('org unit');
    withinPath = unit.path;
  }
  const afterId = decodeIdCursor(query.cursor);
  const rows = await listRows(deps.db, { withinPath, status: query.status, afterId, limit: query.limit });
  const page = pageFrom(rows, query.limit, (r) => [r.id]);
  return { items: page.items.map(toMerchant), nextCursor: page.nextCursor };
}

/** A deactivated merchant can no longer sign in, publish packs or redeem codes. */
export async function deactivateMerchant(deps: ServiceDeps, actor: Actor, id: string): Promise<Merchant> {
  if (actor.role !== 'admin') throw forbidden('only admins deactivate merchants');
  const row = await setMerchantStatus(deps.db, id, 'inactive');
  principalDeactivated(id);
  if (!row) throw notFound('merchant');
  return toMerchant(row);
}
