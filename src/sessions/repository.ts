import { sql, type Selectable } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { PrincipalRole, SessionsTable } from '../db/types.js';

export type SessionRow = Selectable<SessionsTable>;

/**
 * Stores a sign-in code's hash for a principal, replacing the principal's earlier unused code (one
 * live code per principal, held by a partial unique index), in one statement.
 */
export async function putSignInCode(
  db: Db | Tx,
  row: { code_hash: string; role: PrincipalRole; principal_id: string; issued_by: string; expires_at: Date },
): Promise<void> {
  await sql`
    insert into sign_in_codes (code_hash, role, principal_id, issued_by, expires_at)
    values (${row.code_hash}, ${row.role}, ${row.principal_id}, ${row.issued_by}, ${row.expires_at})
    on conflict (role, principal_id) where used_at is null
    do update set code_hash = excluded.code_hash, issued_by = excluded.issued_by, created_at = now(), expires_at = excluded.expires_at`.execute(db);
}

/**
 * Marks a live code used and says whom it names; nothing when the code is unknown, used or expired.
 * The update's row lock makes two concurrent uses of one code end with one winner.
 */
export async function consumeSignInCode(tx: Tx, codeHash: string): Promise<{ role: PrincipalRole; principal_id: string } | undefined> {
  const result = await sql<{ role: PrincipalRole; principal_id: string }>`
    update sign_in_codes set used_at = now()
     where code_hash = ${codeHash} and used_at is null and expires_at > now()
    returning role, principal_id`.execute(tx);
  return result.rows[0];
}

/** The name of an active principal, or undefined when it does not exist or is inactive. Admins are named by their id. */
export async function activePrincipalName(db: Db | Tx, role: PrincipalRole, id: string): Promise<string | undefined> {
  if (role === 'admin') return id;
  const table = role === 'volunteer' ? 'volunteers' : role === 'organiser' ? 'organisers' : 'merchants';
  const result = await sql<{ name: string }>`select name from ${sql.table(table)} where id = ${id} and status = 'active'`.execute(db);
  return result.rows[0]?.name;
}

export async function insertSession(
  tx: Db | Tx,
  row: { id: string; secret_hash: string; role: PrincipalRole; principal_id: string; device_label: string; method: 'code' | 'oidc'; expires_at: Date },
): Promise<SessionRow> {
  return tx.insertInto('sessions').values(row).returningAll().executeTakeFirstOrThrow();
}

/**
 * Ends a principal's sessions beyond the newest `keep` (by last use), so one person cannot pile up
 * sessions without bound; the ones ended are those idle longest.
 */
export async function trimSessions(tx: Tx, role: PrincipalRole, principalId: string, keep: number): Promise<void> {
  await sql`
    delete from sessions
     where id in (select id from sessions where role = ${role} and principal_id = ${principalId}
                   order by last_seen_at desc, id desc offset ${keep})`.execute(tx);
}

export async function findSession(db: Db | Tx, id: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).where('expires_at', '>', new Date()).executeTakeFirst();
}

export async function liveSessionsOf(db: Db, role: PrincipalRole, principalId: string): Promise<SessionRow[]> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('role', '=', role)
    .where('principal_id', '=', principalId)
    .where('expires_at', '>', new Date())
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

export async function deleteSession(db: Db | Tx, id: string, owner?: { role: PrincipalRole; principal_id: string }): Promise<boolean> {
  let q = db.deleteFrom('sessions').where('id', '=', id);
  if (owner) q = q.where('role', '=', owner.role).where('principal_id', '=', owner.principal_id);
  const result = await q.executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function deleteSessionBySecretHash(db: Db | Tx, secretHash: string): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('secret_hash', '=', secretHash).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Ends every session of a principal and voids its unused codes; says how many of each. */
export async function revokeAllOf(tx: Tx, principalId: string, role?: PrincipalRole): Promise<{ sessions: number; codes: number }> {
  let sessions = tx.deleteFrom('sessions').where('principal_id', '=', principalId);
  let codes = tx.deleteFrom('sign_in_codes').where('principal_id', '=', principalId).where('used_at', 'is', null);
  if (role) {
    sessions = sessions.where('role', '=', role);
    codes = codes.where('role', '=', role);
  }
  const ended = await sessions.executeTakeFirst();
  const voided = await codes.executeTakeFirst();
  return { sessions: Number(ended.numDeletedRows), codes: Number(voided.numDeletedRows) };
}

/** Forgets codes and sessions past their expiry by more than `graceSeconds`. */
export async function purgeExpiredSignIns(db: Db, graceSeconds: number): Promise<number> {
  const before = new Date(Date.now() - graceSeconds * 1000);
  const codes = await db.deleteFrom('sign_in_codes').where('expires_at', '<', before).executeTakeFirst();
  const sessions = await db.deleteFrom('sessions').where('expires_at', '<', before).executeTakeFirst();
  return Number(codes.numDeletedRows) + Number(sessions.numDeletedRows);
}
