import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

const localServer = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A Docker engine answers within a few seconds or not at all; testcontainers then starts PostgreSQL. */
async function tryContainer(): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([getContainerRuntimeClient(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000))]);
  } catch {
    return undefined;
  }
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:16-alpine').start();
  return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
}

/**
 * Resolves a PostgreSQL server as docs/testing.md says (DATABASE_URL, else testcontainers when a
 * Docker engine answers, else the local server), creates a database of this run's own, migrates it
 * once, and drops it when the run ends.
 */
export default async function setup(project: TestProject) {
  let serverUrl = process.env.DATABASE_URL;
  let stopContainer: (() => Promise<void>) | undefined;
  let source = 'DATABASE_URL';
  if (!serverUrl) {
    const container = await tryContainer();
    if (container) {
      serverUrl = container.url;
      stopContainer = container.stop;
      source = 'testcontainers';
    } else {
      serverUrl = localServer;
      source = 'local server';
    }
  }
  const name = `jifen_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const database = await openDatabase({ databaseUrl, dataDir: '/nonexistent', poolMax: 1 });
  await migrate(database);
  await database.close();
  process.stdout.write(`tests use PostgreSQL from ${source}, database ${name}\n`);
  project.provide('databaseUrl', databaseUrl);

  return async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
    if (stopContainer) await stopContainer();
  };
}
