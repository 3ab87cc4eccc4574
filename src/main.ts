import path from 'node:path';
import { inspect } from 'node:util';
import type { ServerType } from '@hono/node-server';
import { buildApp } from './app.js';
import { buildDeps } from './bootstrap.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { Database } from './db/database.js';
import { serveApp } from './http/server.js';
import { createLogger } from './logger.js';
import { startMaintenance } from './maintenance.js';
import { startExpirySweeper } from './redemptions/service.js';
import { startWishSweeper } from './wishes/service.js';

/** How long the server must have been idle before it stops listening during a drain. */
const drainQuietMs = 200;

/**
 * Counts requests in flight and, once asked to drain, tells clients to close their connections.
 * Node's server.close() resets sockets that were accepted but not yet read, so the server keeps
 * listening until nothing is in flight and nothing new has arrived for a moment, then closes.
 */
function drainable(server: ServerType) {
  let inFlight = 0;
  let lastActivity = Date.now();
  let draining = false;
  server.on('request', (_req, res) => {
    inFlight += 1;
    lastActivity = Date.now();
    if (draining) res.setHeader('connection', 'close');
    res.on('close', () => {
      inFlight -= 1;
      lastActivity = Date.now();
    });
  });
  return {
    async drain(): Promise<void> {
      draining = true;
      while (inFlight > 0 || Date.now() - lastActivity < drainQuietMs) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The one line for a person who started the service in a terminal: where it answers and where its
 * API reference is. When stdout is not a terminal, or in production, only the JSON log is written.
 */
function greeting(config: Config, port: number, database: Pick<Database, 'kind' | 'location'>): string {
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  const address = `http://${host}:${port}`;
  const relative = path.relative(process.cwd(), database.location);
  const folder = relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : database.location;
  const data = database.kind === 'pglite' ? `embedded database in ${folder}` : `PostgreSQL at ${database.location}`;
  return `jifen is serving ${address} (API reference: ${address}/docs; ${data}). Ctrl-C stops it.\n`;
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`jifen: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const deps = await buildDeps(config, logger);
  logger.info(
    { database: deps.database.kind, location: deps.database.location, keys: deps.accessTokens.ring.source },
    deps.database.kind === 'pglite' ? 'using embedded PostgreSQL (PGlite)' : 'using PostgreSQL',
  );
  const app = buildApp(deps);
  const stopMaintenance = startMaintenance(deps);
  // Releases claims past their expiry; every instance may run it (each claim is taken with SKIP LOCKED).
  const stopSweeper = startExpirySweeper(deps);
  // Expires wishes still open after their date; every instance may run it (SKIP LOCKED).
  const stopWishSweeper = startWishSweeper(deps);
  const server = serveApp(app, { port: config.PORT, hostname: config.HOST, https: config.PUBLIC_URL.startsWith('https:') }, (info) => {
    logger.info({ port: info.port, host: config.HOST }, 'listening');
    if (process.stdout.isTTY && config.NODE_ENV !== 'production') process.stdout.write(greeting(config, info.port, deps.database));
  });
  server.on('error', (error) => {
    logger.fatal({ err: error }, 'server error');
    process.exit(1);
  });
  const drainer = drainable(server);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Readiness turns false at once so a load balancer stops sending; requests already here finish.
    deps.lifecycle.draining = true;
    logger.info({ signal }, 'draining');
    const deadline = setTimeout(() => {
      logger.error('shutdown grace period ran out; exiting with requests still open');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS);
    deadline.unref();
    stopMaintenance();
    stopSweeper();
    stopWishSweeper();
    await drainer.drain();
    await deps.database.close();
    logger.info('stopped');
    clearTimeout(deadline);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`jifen: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : inspect(error)}\n`);
  process.exit(1);
});
