import type { Config } from './config.js';
import { openDatabase } from './db/database.js';
import { migrate } from './db/migrate.js';
import type { Deps } from './deps.js';
import { createMetrics } from './http/metrics.js';
import type { Logger } from './logger.js';
import { createOidc } from './auth/oidc.js';
import { createPrincipalResolver } from './auth/principals.js';
import { createSessionResolver } from './auth/sessions.js';
import { SignInThrottle } from './auth/sign-in-throttle.js';
import { createWriteGroups } from './writes/groups.js';
import { createAccessTokens, loadAccessKeyRing } from './tokens/access.js';
import { loadDocumentKeys } from './tokens/signing.js';

/** Opens the database (migrating it) and loads keys: everything buildApp needs. */
export async function buildDeps(config: Config, logger: Logger): Promise<Deps> {
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolMax: config.DB_POOL_MAX,
    acquireTimeoutMs: config.DB_ACQUIRE_TIMEOUT_MS,
    connectTimeoutSeconds: config.DB_CONNECT_TIMEOUT_SECONDS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
    idleInTransactionTimeoutMs: config.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  });
  try {
    if (config.MIGRATE_ON_START) {
      const applied = await migrate(database);
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    }
    const accessTokens = createAccessTokens(config, await loadAccessKeyRing(config));
    const documentKeys = await loadDocumentKeys(config);
    const principals = createPrincipalResolver(database.db, config.PRINCIPAL_CACHE_MS);
    const metrics = createMetrics();
    // Groups never outnumber the connections, and leave room for reads and other transactions.
    const writes = createWriteGroups(database.db, {
      groupsMax: Math.min(config.WRITE_GROUPS_MAX, Math.max(1, database.poolMax - 1)),
      groupSizeMax: config.WRITE_GROUP_SIZE_MAX,
      onGroup: (size) => metrics.writeGroupSize.observe(size),
    });
    const sessions = createSessionResolver(database.db, config);
    const signInThrottle = new SignInThrottle(config.SIGN_IN_FAILURES_PER_CLIENT_PER_MINUTE, config.SIGN_IN_FAILURES_PER_MINUTE);
    return {
      config,
      database,
      db: database.db,
      writes,
      logger,
      accessTokens,
      principals,
      sessions,
      signInThrottle,
      oidc: createOidc(config, database.db),
      documentKeys,
      metrics,
      lifecycle: { draining: false },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

