import type { Config } from './config.js';
import type { Database, Db } from './db/database.js';
import type { Metrics } from './http/metrics.js';
import type { Logger } from './logger.js';
import type { Oidc } from './auth/oidc.js';
import type { PrincipalResolver } from './auth/principals.js';
import type { SessionResolver } from './auth/sessions.js';
import type { SignInThrottle } from './auth/sign-in-throttle.js';
import type { AccessTokens } from './tokens/access.js';
import type { DocumentKeys } from './tokens/signing.js';
import type { WriteGroups } from './writes/groups.js';

/** Run-time state shared by the app and the process that serves it. */
export interface Lifecycle {
  /** Set on SIGTERM: readiness turns false while in-flight requests finish. */
  draining: boolean;
}

/** Everything the app needs, built once in main.ts (or a test) and passed down explicitly. */
export interface Deps {
  config: Config;
  database: Database;
  db: Db;
  /** Group commit for writes that stand on their own (awards, claims, redeems, ...). */
  writes: WriteGroups;
  logger: Logger;
  accessTokens: AccessTokens;
  /** Who a verified token names, with a short cache. */
  principals: PrincipalResolver;
  /** Which live session a cookie's secret names (sliding its expiry). */
  sessions: SessionResolver;
  /** Counts failed sign-ins per client address and overall, refusing guessers with 429. */
  signInThrottle: SignInThrottle;
  /** The programme's OpenID Connect provider, when one is configured. */
  oidc: Oidc | undefined;
  /** Keys for redemption tokens and certificates (never access tokens). */
  documentKeys: DocumentKeys;
  metrics: Metrics;
  lifecycle: Lifecycle;
}

/** What a service verb needs: the database handle and configuration, nothing HTTP. */
export type ServiceDeps = Pick<Deps, 'db' | 'writes' | 'config' | 'logger' | 'documentKeys'>;
