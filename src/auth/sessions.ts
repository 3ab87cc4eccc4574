import { createHash, randomBytes } from 'node:crypto';
import { statement, type Db } from '../db/database.js';
import type { Config } from '../config.js';
import type { AccessClaims, Role } from '../tokens/access.js';

/** The cookie a browser session travels in. */
export const sessionCookieName = 'jifen_session';

/** A session secret: 256 random bits, base64url (43 characters). Only its hash is stored. */
export function newSessionSecret(): string {
  return randomBytes(32).toString('base64url');
}

export const sessionSecretPattern = /^[A-Za-z0-9_-]{43}$/;

/** SHA-256 in hex: how codes and session secrets are stored and looked up. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The idle lifetime of a session of `role`, in seconds (each use slides the expiry forward by it). */
export function sessionTtlSeconds(config: Pick<Config, 'SESSION_TTL_VOLUNTEER_SECONDS' | 'SESSION_TTL_MERCHANT_SECONDS' | 'SESSION_TTL_ORGANISER_SECONDS' | 'SESSION_TTL_ADMIN_SECONDS'>, role: Role): number {
  switch (role) {
    case 'volunteer':
      return config.SESSION_TTL_VOLUNTEER_SECONDS;
    case 'merchant':
      return config.SESSION_TTL_MERCHANT_SECONDS;
    case 'organiser':
      return config.SESSION_TTL_ORGANISER_SECONDS;
    case 'admin':
      return config.SESSION_TTL_ADMIN_SECONDS;
  }
}

export interface SessionIdentity {
  sessionId: string;
  claims: AccessClaims;
  expiresAt: Date;
  /** True when this request moved the expiry forward (the cookie's lifetime should follow). */
  slid: boolean;
}

/**
 * A session's expiry slides forward at most this often: recording every request would turn each page
 * view into a write. The expiry may so lag real use by this much, which is nothing against days.
 */
const slideEveryMs = 60_000;

type SessionRow = { id: string; role: Role; principal_id: string; last_seen_at: Date | string; expires_at: Date | string };
// Read on every cookie-authenticated request, so written once as SQL (see statement()).
const selectLive = statement<SessionRow>(`select id, role, principal_id, last_seen_at, expires_at from sessions where secret_hash = $1 and expires_at > now()`);
const slide = statement<{ expires_at: Date | string }>(
  `update sessions set last_seen_at = now(), expires_at = now() + make_interval(secs => $2::int) where id = $1 and expires_at > now() returning expires_at`,
);

/**
 * Finds the live session a cookie's secret names and slides its expiry forward by the role's idle
 * lifetime. Whether its principal is still active is the principal resolver's question, asked by the
 * caller on every request (deactivation also deletes the rows, in the database).
 */
export function createSessionResolver(db: Db, config: Config) {
  return {
    async resolve(secret: string): Promise<SessionIdentity | undefined> {
      if (!sessionSecretPattern.test(secret)) return undefined;
      const [row] = await selectLive(db, secretHash(secret));
      if (!row) return undefined;
      let expiresAt = new Date(row.expires_at);
      let slid = false;
      if (Date.now() - new Date(row.last_seen_at).getTime() >= slideEveryMs) {
        const [moved] = await slide(db, row.id, sessionTtlSeconds(config, row.role));
        if (!moved) return undefined;
        expiresAt = new Date(moved.expires_at);
        slid = true;
      }
      return { sessionId: row.id, claims: { role: row.role, sub: row.principal_id }, expiresAt, slid };
    },
  };
}

export type SessionResolver = ReturnType<typeof createSessionResolver>;
