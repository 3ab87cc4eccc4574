import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCluster, type Cluster } from '../cluster.js';
import { freePort, killService, startService, tokenMinter, type ServiceProcess } from '../service.js';

/** The crash scenarios' ground: a throwaway PostgreSQL cluster, a database in it, and the service started on it. */

export interface Rig {
  cluster: Cluster;
  env: Record<string, string>;
  mint: (role: 'admin' | 'volunteer' | 'merchant' | 'organiser', sub: string) => Promise<string>;
  adminToken: string;
  /** The first instance, always on env.PORT (a restart comes back on the same address). */
  service: ServiceProcess;
  log: (line: string) => void;
}

/** How long the service may take to answer while its database is down: the pool's acquire timeout plus slack. */
export const acquireTimeoutMs = 3000;
export const hangMs = acquireTimeoutMs + 4000;

/** A throwaway cluster, a database in it, and the service started on it. */
export async function createRig(log: (line: string) => void = () => {}): Promise<Rig> {
  const cluster = await createCluster();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jifen-crash-'));
  try {
    const env: Record<string, string> = {
      DATABASE_URL: await cluster.createDatabase('jifen'),
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      LOG_LEVEL: process.env.CRASH_LOG_LEVEL ?? 'fatal',
      RATE_LIMIT_PER_SECOND: '0',
      DB_POOL_MAX: '10',
      DB_ACQUIRE_TIMEOUT_MS: String(acquireTimeoutMs),
      DB_CONNECT_TIMEOUT_SECONDS: '2',
      SHUTDOWN_GRACE_MS: '5000',
    };
    // Keys are created in DATA_DIR before any instance starts, so every instance shares them.
    const mint = await tokenMinter(env);
    const service = await startService(env);
    log(`rig: PostgreSQL on port ${cluster.port} (${cluster.dir}), service on ${service.baseUrl}`);
    return { cluster, env, mint, adminToken: await mint('admin', 'crash-test'), service, log };
  } catch (error) {
    await cluster.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

export async function destroyRig(rig: Rig | undefined): Promise<void> {
  if (!rig) return;
  await killService(rig.service);
  await rig.cluster.destroy();
  fs.rmSync(rig.env.DATA_DIR as string, { recursive: true, force: true });
}

/** Makes sure the first instance is up (a failed scenario may have left it down). */
export async function ensureService(rig: Rig): Promise<void> {
  if (!rig.service.alive()) rig.service = await startService(rig.env);
}
