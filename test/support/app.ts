import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ServerType } from '@hono/node-server';
import { serveApp } from '../../src/http/server.js';
import { inject } from 'vitest';
import { buildApp } from '../../src/app.js';
import { buildDeps } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { createLogger } from '../../src/logger.js';
import type { Role } from '../../src/tokens/access.js';
import { responseChecker, type OpenApiDocument } from './openapi-check.js';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  token?: string | undefined;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send this exact text as the body instead of JSON-encoding `body`. */
  raw?: string;
}

export interface TestApp {
  baseUrl: string;
  deps: Deps;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  token(role: Role, sub: string, ttlSeconds?: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * Builds the real app against this run's PostgreSQL database and serves it on an ephemeral port,
 * so tests talk to it over HTTP exactly as clients do.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'jifen-test-'));
  const config = loadConfig({
    DATABASE_URL: inject('databaseUrl'),
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    MIGRATE_ON_START: 'false',
    DB_POOL_MAX: '10',
    ...env,
  });
  const deps = await buildDeps(config, createLogger(config.LOG_LEVEL));
  const app = buildApp(deps);
  const server: ServerType = await new Promise((resolve) => {
    // A port chosen beforehand (PORT) lets PUBLIC_URL name this very server, as links in pages must.
    const s = serveApp(app, { port: env.PORT !== undefined ? Number(env.PORT) : 0, hostname: '127.0.0.1', https: config.PUBLIC_URL.startsWith('https:') }, () => resolve(s));
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('server has no port');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  // Every answer a test receives through request() is checked against /openapi.json, so the
  // document and the service cannot drift apart unnoticed.
  let checker: Promise<ReturnType<typeof responseChecker>> | undefined;
  const checkerFor = () => (checker ??= fetch(`${baseUrl}/openapi.json`).then(async (r) => responseChecker((await r.json()) as OpenApiDocument)));

  return {
    baseUrl,
    deps,
    async request(method, urlPath, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body: string | undefined;
      if (options.raw !== undefined) body = options.raw;
      else if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      const response = await fetch(`${baseUrl}${urlPath}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      const type = response.headers.get('content-type') ?? '';
      if (type.includes('json') && text) parsed = JSON.parse(text);
      const mismatch = (await checkerFor())(method, urlPath, response.status, response.headers.get('content-type'), text, parsed);
      if (mismatch) throw new Error(`the answer does not match /openapi.json: ${mismatch}\n${text.slice(0, 500)}`);
      return { status: response.status, headers: response.headers, body: parsed as any };
    },
    token: (role, sub, ttlSeconds) => deps.accessTokens.mint({ role, sub }, ttlSeconds),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      deps.principals.close();
      await deps.database.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
