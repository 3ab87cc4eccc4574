import { sql } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { PrincipalRole } from '../db/types.js';
import type { Config } from '../config.js';
import { DomainError, validationFailed } from '../errors.js';

/**
 * Links between an OpenID provider's identities (issuer + subject) and jifen principals. A link is
 * made once, at registration or by signing in with a sign-in code while the identity is pending, and
 * never makes a principal: an identity without one is refused.
 */

/**
 * Issuers are compared without a trailing slash: operators write OIDC_ISSUER either way, and a
 * provider's tokens name it one way.
 */
export const canonicalIssuer = (issuer: string) => issuer.replace(/\/+$/, '');

export async function findIdentityLink(db: Db | Tx, issuer: string, subject: string): Promise<{ role: PrincipalRole; principal_id: string } | undefined> {
  return db
    .selectFrom('identity_links')
    .select(['role', 'principal_id'])
    .where('issuer', '=', canonicalIssuer(issuer))
    .where('subject', '=', subject)
    .executeTakeFirst();
}

/**
 * Records a link unless the identity, or the principal's link for this issuer, already exists; says
 * whether it did. Two links racing for one identity or one principal leave exactly one.
 */
export async function linkIdentity(
  tx: Db | Tx,
  link: { issuer: string; subject: string; role: PrincipalRole; principalId: string; linkedBy: 'registration' | 'sign_in_code' },
): Promise<boolean> {
  const result = await sql`
    insert into identity_links (issuer, subject, role, principal_id, linked_by)
    values (${canonicalIssuer(link.issuer)}, ${link.subject}, ${link.role}, ${link.principalId}, ${link.linkedBy})
    on conflict do nothing`.execute(tx);
  return Number(result.numAffectedRows ?? 0) === 1;
}

/**
 * Records the provider identity a person is registered with (`externalSubject`, the provider's
 * `sub` for them), in the registration's transaction. Refused when no provider is configured, and
 * with 409 when that identity already belongs to someone.
 */
export async function linkAtRegistration(tx: Tx, config: Pick<Config, 'OIDC_ISSUER'>, role: PrincipalRole, principalId: string, externalSubject: string | null | undefined): Promise<void> {
  if (!externalSubject) return;
  if (!config.OIDC_ISSUER) throw validationFailed([{ path: 'externalSubject', message: 'no identity provider is configured (OIDC_ISSUER), so there is nothing to link to' }]);
  const linked = await linkIdentity(tx, { issuer: config.OIDC_ISSUER, subject: externalSubject, role, principalId, linkedBy: 'registration' });
  if (!linked) throw new DomainError('conflict', 'this externalSubject is already linked to someone else', { field: 'externalSubject' });
}
