import { inScope, type Actor } from '../auth/actor.js';
import { findIdentityLink, linkIdentity } from '../auth/identities.js';
import { identityNotLinked, type ProviderIdentity } from '../auth/oidc.js';
import { newSessionSecret, secretHash, sessionTtlSeconds } from '../auth/sessions.js';
import type { Tx } from '../db/database.js';
import { constraintName, sqlState } from '../db/errors.js';
import { newId, uuidPattern } from '../db/ids.js';
import type { PrincipalRole } from '../db/types.js';
import type { Deps } from '../deps.js';
import { DomainError, forbidden, notFound, validationFailed } from '../errors.js';
import { findMerchant } from '../merchants/repository.js';
import { findPerson } from '../people/repository.js';
import { newSignInCode, normaliseSignInCode } from './codes.js';
import {
  activePrincipalName,
  consumeSignInCode,
  deleteSession,
  deleteSessionBySecretHash,
  findSession,
  insertSession,
  liveSessionsOf,
  putSignInCode,
  revokeAllOf,
  trimSessions,
  type SessionRow,
} from './repository.js';
import type { CreateSignInCodeInput, Principal, Session } from './schemas.js';

/** What the sign-in verbs need: the database, configuration and the guessing limits. */
export type SessionDeps = Pick<Deps, 'db' | 'config' | 'signInThrottle'>;

/** Most live sessions one principal keeps; signing in once more ends the one idle longest. */
export const sessionsPerPrincipalMax = 50;

const codeInvalid = () => new DomainError('sign_in_code_invalid', 'this sign-in code is not valid: it may be mistyped, already used or expired; ask for a new one');

/** Where each role lands once signed in: its own page. */
export const homePaths: Record<PrincipalRole, string> = {
  volunteer: '/app/wallet',
  merchant: '/app/counter',
  organiser: '/app/desk',
  admin: '/app/office',
};

/** The sign-in page's address with a code filled in. */
export function signInUrl(publicUrl: string, code: string): string {
  return `${publicUrl}/app/sign-in?code=${code}`;
}

/**
 * Mints a sign-in code for a principal and stores only its hash. The principal's earlier unused
 * code, if any, stops working (one live code per principal), so a reprinted card voids a lost one.
 * Callers check who may ask; `issuedBy` records who did.
 */
export async function mintSignInCode(
  deps: Pick<Deps, 'db' | 'config'>,
  input: { role: PrincipalRole; principalId: string; issuedBy: string; expiresInSeconds?: number | undefined },
): Promise<{ code: string; url: string; expiresAt: string }> {
  const expiresAt = new Date(Date.now() + (input.expiresInSeconds ?? deps.config.SIGN_IN_CODE_TTL_SECONDS) * 1000);
  // Another principal's live code can share a hash only by chance (one in 8.5 × 10^11); draw again.
  for (let attempt = 1; ; attempt += 1) {
    const code = newSignInCode();
    try {
      await putSignInCode(deps.db, { code_hash: secretHash(code), role: input.role, principal_id: input.principalId, issued_by: input.issuedBy, expires_at: expiresAt });
      return { code, url: signInUrl(deps.config.PUBLIC_URL, code), expiresAt: expiresAt.toISOString() };
    } catch (error) {
      if (attempt < 3 && sqlState(error) === '23505' && constraintName(error) === 'sign_in_codes_pkey') continue;
      throw error;
    }
  }
}

/**
 * Issues a sign-in code: admins for anyone (an admin code names the operator, as an admin token's
 * `sub` does), organisers for the active volunteers in their subtree. The principal must exist and
 * be active; an organiser asking about a volunteer outside its scope is told it does not exist.
 */
export async function issueSignInCode(deps: SessionDeps, actor: Actor, input: CreateSignInCodeInput): Promise<{ code: string; url: string; expiresAt: string }> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers issue sign-in codes');
  if (actor.role === 'organiser' && input.role !== 'volunteer') throw forbidden('organisers issue sign-in codes for volunteers only');
  let principalId = input.principalId;
  if (input.role !== 'admin') {
    if (!uuidPattern.test(principalId)) throw validationFailed([{ path: 'principalId', message: `must be a ${input.role} id (a uuid)` }]);
    principalId = principalId.toLowerCase();
    let status: string;
    if (input.role === 'merchant') {
      const merchant = await findMerchant(deps.db, principalId);
      if (!merchant) throw notFound('merchant');
      status = merchant.status;
    } else {
      const person = await findPerson(deps.db, input.role === 'volunteer' ? 'volunteers' : 'organisers', principalId);
      if (!person || (actor.role === 'organiser' && !inScope(actor, person.org_path))) throw notFound(input.role);
      status = person.status;
    }
    if (status !== 'active') throw new DomainError('inactive', `this ${input.role} is inactive and cannot sign in`);
  }
  return mintSignInCode(deps, { role: input.role, principalId, issuedBy: `${actor.role}:${actor.id}`, expiresInSeconds: input.expiresInSeconds });
}

export interface SignedIn {
  /** The session secret: goes into the cookie and nowhere else (never logged, never in a URL). */
  secret: string;
  sessionId: string;
  principal: Principal;
  expiresAt: string;
}

/**
 * Opens a session for an active principal: a fresh 256-bit secret, stored hashed, living the role's
 * idle lifetime. A principal keeps at most sessionsPerPrincipalMax sessions.
 */
export async function openSession(
  deps: Pick<Deps, 'db' | 'config'>,
  input: { role: PrincipalRole; principalId: string; deviceLabel: string; method: 'code' | 'oidc' },
): Promise<SignedIn | undefined> {
  return deps.db.transaction().execute(async (tx) => {
    const name = await activePrincipalName(tx, input.role, input.principalId);
    if (name === undefined) return undefined;
    return createSessionRow(tx, deps, input, name);
  });
}

async function createSessionRow(
  tx: Tx,
  deps: Pick<Deps, 'config'>,
  input: { role: PrincipalRole; principalId: string; deviceLabel: string; method: 'code' | 'oidc' },
  name: string,
): Promise<SignedIn> {
  const secret = newSessionSecret();
  const expiresAt = new Date(Date.now() + sessionTtlSeconds(deps.config, input.role) * 1000);
  const row = await insertSession(tx, {
    id: newId(),
    secret_hash: secretHash(secret),
    role: input.role,
    principal_id: input.principalId,
    device_label: input.deviceLabel.slice(0, 200),
    method: input.method,
    expires_at: expiresAt,
  });
  await trimSessions(tx, input.role, input.principalId, sessionsPerPrincipalMax);
  return { secret, sessionId: row.id, principal: { role: input.role, id: input.principalId, name }, expiresAt: expiresAt.toISOString() };
}

/**
 * Signs in with a one-time code. The code is used up whatever follows; its principal must still be
 * active. An unknown, malformed, used or expired code, or one naming someone deactivated, all get
 * the one answer sign_in_code_invalid, and count as a failure against `client` (an address) and the
 * instance: past the limits every attempt gets 429 until the minute frees.
 *
 * With a `pendingIdentity` (a provider identity that found no principal, carried in a signed cookie),
 * the identity is linked to the code's principal in the same transaction, unless the identity or the
 * principal is linked already; `identityLinked` says whether it was.
 */
export async function signInWithCode(
  deps: SessionDeps,
  input: { code: string; deviceLabel: string; client: string; pendingIdentity?: ProviderIdentity | undefined },
): Promise<SignedIn & { identityLinked: boolean }> {
  deps.signInThrottle.check(input.client);
  const code = normaliseSignInCode(input.code);
  const signedIn =
    code === undefined ? undefined : (
      await deps.db.transaction().execute(async (tx) => {
        const named = await consumeSignInCode(tx, secretHash(code));
        if (!named) return undefined;
        const name = await activePrincipalName(tx, named.role, named.principal_id);
        if (name === undefined) return undefined;
        const session = await createSessionRow(tx, deps, { role: named.role, principalId: named.principal_id, deviceLabel: input.deviceLabel, method: 'code' }, name);
        const identityLinked = input.pendingIdentity
          ? await linkIdentity(tx, { ...input.pendingIdentity, role: named.role, principalId: named.principal_id, linkedBy: 'sign_in_code' })
          : false;
        return { ...session, identityLinked };
      })
    );
  if (!signedIn) {
    deps.signInThrottle.fail(input.client);
    throw codeInvalid();
  }
  return signedIn;
}

/** Ends the session a secret names (signing out); true when there was one. */
export async function endSession(deps: Pick<Deps, 'db'>, secret: string): Promise<boolean> {
  return deleteSessionBySecretHash(deps.db, secretHash(secret));
}

/** The principal behind the caller's session, with the session's expiry. */
export async function currentSession(deps: Pick<Deps, 'db'>, actor: Actor, session: { id: string; expiresAt: Date } | undefined) {
  if (!session) throw notFound('session (this request was made with a bearer token, not a session cookie)');
  const name = await activePrincipalName(deps.db, actor.role, actor.id);
  if (name === undefined) throw notFound('session');
  return { id: session.id, principal: { role: actor.role, id: actor.id, name }, expiresAt: session.expiresAt.toISOString() };
}

function toSession(row: SessionRow, currentId: string | undefined): Session {
  return {
    id: row.id,
    deviceLabel: row.device_label,
    method: row.method,
    createdAt: row.created_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    current: row.id === currentId,
  };
}

/** The caller's own live sessions, newest first (at most sessionsPerPrincipalMax). */
export async function listOwnSessions(deps: Pick<Deps, 'db'>, actor: Actor, currentId: string | undefined): Promise<{ items: Session[] }> {
  const rows = await liveSessionsOf(deps.db, actor.role, actor.id);
  return { items: rows.map((r) => toSession(r, currentId)) };
}

/** Ends one of the caller's own sessions; anyone else's is answered as not found. */
export async function endOwnSession(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<void> {
  const row = await findSession(deps.db, id);
  if (!row || row.role !== actor.role || row.principal_id !== actor.id) throw notFound('session');
  await deleteSession(deps.db, id, { role: actor.role, principal_id: actor.id });
}

/**
 * Ends every session of a principal and voids its unused sign-in code: admins for anyone (a
 * volunteer, organiser or merchant id, or an operator's name), organisers for volunteers in their
 * subtree (others are answered as not found). Tokens already minted are not affected.
 */
export async function revokeSessions(deps: Pick<Deps, 'db'>, actor: Actor, principalId: string): Promise<{ principalId: string; sessionsEnded: number; codesVoided: number }> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers end other people\'s sessions');
  const id = uuidPattern.test(principalId) ? principalId.toLowerCase() : principalId;
  let role: PrincipalRole | undefined;
  if (actor.role === 'organiser') {
    const volunteer = uuidPattern.test(id) ? await findPerson(deps.db, 'volunteers', id) : undefined;
    if (!volunteer || !inScope(actor, volunteer.org_path)) throw notFound('volunteer');
    role = 'volunteer';
  }
  const counts = await deps.db.transaction().execute((tx) => revokeAllOf(tx, id, role));
  return { principalId: id, sessionsEnded: counts.sessions, codesVoided: counts.codes };
}

/**
 * Opens a session for a provider identity the provider has just vouched for: 403
 * identity_not_linked when the identity is linked to nobody (never a new principal), 403 forbidden
 * when the person it is linked to is no longer active.
 */
export async function signInWithProvider(deps: Pick<Deps, 'db' | 'config'>, identity: ProviderIdentity, deviceLabel: string): Promise<SignedIn> {
  const link = await findIdentityLink(deps.db, identity.issuer, identity.subject);
  if (!link) throw identityNotLinked();
  const signedIn = await openSession(deps, { role: link.role, principalId: link.principal_id, deviceLabel, method: 'oidc' });
  if (!signedIn) throw forbidden('the person this identity is linked to is no longer active in this programme');
  return signedIn;
}
