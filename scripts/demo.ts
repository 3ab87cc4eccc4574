/**
 * npm run demo: a fresh demo programme and a running service, in one command.
 *
 * It makes a new data folder (./demo-data unless --data-dir says otherwise) with the embedded
 * database and keys, seeds the demo programme into it through the service's own verbs
 * (scripts/seed-demo.ts), starts the service on it (the same entry point as `npm start`), and once
 * the service is ready prints the address, the API reference, a sign-in link for the pages and a
 * token for each kind of person (the tokens also go to <data folder>/demo.env for another terminal
 * to `source`).
 *
 *   npm run demo                                   seed ./demo-data and serve it on PORT (3000)
 *   npm run demo -- --force                        replace an earlier ./demo-data
 *   npm run demo -- --data-dir /tmp/jifen-demo --volunteers 50 --activities 20
 *   DATA_DIR=demo-data npm start                   serve an earlier demo again, as it was left
 *
 * An existing folder is never touched without --force, and even then only one that an earlier demo
 * made (it carries a .jifen-demo marker). With DATABASE_URL set the demo programme goes into that
 * PostgreSQL database instead, which must hold no programme yet (--force adds one beside it).
 * Ctrl-C stops the service.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildDeps } from '../src/bootstrap.js';
import { ConfigError, loadConfig, type Config } from '../src/config.js';
import { DomainError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { issueSignInCode } from '../src/sessions/service.js';
import { freePort, repoRoot } from './lib/service.js';
import { demoDefaults, seedDemo, type DemoSummary } from './seed-demo.js';

/** The file an earlier demo leaves in its data folder; --force removes only a folder that has it. */
const marker = '.jifen-demo';
/** Demo tokens outlive an afternoon of clicking around; `npm run token` mints more. */
const tokenTtlSeconds = 24 * 3600;
const readyTimeoutMs = 90_000;

class DemoRefusal extends Error {}

/** Makes an empty data folder, replacing an earlier demo's only when asked to. */
async function freshDataDir(dir: string, force: boolean, shown: string, custom: boolean): Promise<void> {
  const entries = await fs.readdir(dir).catch(() => undefined);
  if (entries && entries.length > 0) {
    if (!force) {
      throw new DemoRefusal(
        `${shown} already exists. Serve that demo again with \`DATA_DIR=${shown} npm start\`, replace it with \`npm run demo -- ${custom ? `--data-dir ${shown} ` : ''}--force\`, or choose another folder with --data-dir.`,
      );
    }
    if (!entries.includes(marker)) {
      throw new DemoRefusal(`${shown} is not a folder npm run demo made (it has no ${marker}), so --force leaves it alone; choose another folder with --data-dir.`);
    }
    await fs.rm(dir, { recursive: true, force: true });
  }
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, marker), `made by npm run demo at ${new Date().toISOString()}\n`);
}

interface DemoTokens {
  admin: string;
  organiser: string;
  volunteer: string;
  shop: string;
}

/** Seeds the programme and mints the tokens, then closes the database so the service can open it. */
async function seed(config: Config, options: { volunteers: number; activities: number; seed: number; force: boolean }): Promise<{ summary: DemoSummary; tokens: DemoTokens; links: DemoTokens; organiser: DemoSummary['organisers'][number] }> {
  const deps = await buildDeps(config, createLogger('warn'));
  try {
    const summary = await seedDemo(deps, options);
    // The organiser of the community whose activity is running now, with check-ins to approve.
    const organiser = summary.organisers.find((o) => o.unit === summary.featuredVolunteer.community) ?? summary.organisers[0]!;
    const shop = summary.merchants[0]!;
    const mint = (role: 'admin' | 'organiser' | 'volunteer' | 'merchant', sub: string) => deps.accessTokens.mint({ role, sub }, Math.min(tokenTtlSeconds, deps.config.ACCESS_TOKEN_LIFETIME_MAX_SECONDS));
    const tokens = {
      admin: await mint('admin', 'demo-office'),
      organiser: await mint('organiser', organiser.id),
      volunteer: await mint('volunteer', summary.featuredVolunteer.id),
      shop: await mint('merchant', shop.id),
    };
    // Sign-in links for the pages, one per person, issued as the office would issue them.
    const link = async (role: 'admin' | 'organiser' | 'volunteer' | 'merchant', principalId: string) =>
      (await issueSignInCode(deps, { role: 'admin', id: 'demo' }, { role, principalId })).url;
    const links = {
      admin: await link('admin', 'demo-office'),
      organiser: await link('organiser', organiser.id),
      volunteer: await link('volunteer', summary.featuredVolunteer.id),
      shop: await link('merchant', shop.id),
    };
    return { summary, tokens, links, organiser };
  } finally {
    deps.principals.close();
    await deps.database.close();
  }
}

async function waitReady(url: string, child: ReturnType<typeof spawn>): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new DemoRefusal('the service stopped before it was ready (its messages are above)');
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new DemoRefusal(`the service did not become ready within ${readyTimeoutMs / 1000} s`);
}

const shellQuote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

async function run(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      force: { type: 'boolean', default: false },
      volunteers: { type: 'string' },
      activities: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const volunteers = values.volunteers ? Number(values.volunteers) : demoDefaults.volunteers;
  const activities = values.activities ? Number(values.activities) : demoDefaults.activities;
  const seedNumber = values.seed ? Number(values.seed) : demoDefaults.seed;
  if (!Number.isInteger(activities) || activities < 1 || activities > 10_000) throw new DemoRefusal('--activities must be a whole number from 1 to 10000');
  if (!Number.isInteger(volunteers) || volunteers < 10 || volunteers > 100_000) throw new DemoRefusal('--volunteers must be a whole number from 10 to 100000');
  if (!Number.isInteger(seedNumber)) throw new DemoRefusal('--seed must be a whole number');

  const shownDir = values['data-dir'] ?? 'demo-data';
  const dataDir = path.resolve(shownDir);
  const asked = loadConfig({ ...process.env, DATA_DIR: dataDir, ...(process.env.PORT ? {} : { PORT: '3000' }) });
  // The port is chosen before seeding, so the sign-in links printed at the end point at it.
  const port = asked.PORT === 0 ? await freePort() : asked.PORT;
  const config = loadConfig({ ...process.env, DATA_DIR: dataDir, PORT: String(port) });
  await freshDataDir(dataDir, values.force, shownDir, values['data-dir'] !== undefined);

  const where = config.DATABASE_URL ? 'the PostgreSQL database in DATABASE_URL' : `an embedded database in ${shownDir}`;
  process.stdout.write(`Seeding the demo programme into ${where} (a minute or two)...\n`);
  const started = performance.now();
  const { summary, tokens, links, organiser } = await seed(config, { volunteers, activities, seed: seedNumber, force: values.force && config.DATABASE_URL !== undefined });
  process.stdout.write(
    `Seeded in ${((performance.now() - started) / 1000).toFixed(0)} s: ${summary.orgUnits} org units, ${summary.volunteers} volunteers, ${summary.activities} activities, ` +
      `${summary.merchants.length} shops, ${summary.claims} claims; the ledger verifies: ${summary.ledgerOk}.\n`,
  );

  // The service is the same entry point `npm start` runs: TypeScript through tsx here, or the
  // compiled file when this script itself runs compiled (node dist/scripts/demo.js).
  const compiled = import.meta.url.endsWith('.js');
  const main = fileURLToPath(new URL(compiled ? '../src/main.js' : '../src/main.ts', import.meta.url));
  const child = spawn(process.execPath, compiled ? [main] : ['--import', 'tsx', main], {
    cwd: repoRoot,
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port) },
    stdio: 'inherit',
  });
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  // Ctrl-C reaches the service too (same terminal); a SIGTERM sent to this process is passed on.
  // Either way this process waits for the service to drain and exits with its status.
  process.on('SIGINT', () => child.kill('SIGINT'));
  process.on('SIGTERM', () => child.kill('SIGTERM'));

  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  const url = `http://${host}:${port}`;
  try {
    await waitReady(url, child);
  } catch (error) {
    child.kill('SIGTERM');
    await exited;
    throw error;
  }

  const v = summary.featuredVolunteer;
  const shop = summary.merchants[0]!;
  const envFile = path.join(dataDir, 'demo.env');
  const env = [
    `# Tokens for the demo programme served at ${url} (valid ${tokenTtlSeconds / 3600} hours). Use: source ${envFile}`,
    `export JIFEN=${shellQuote(url)}`,
    `export ADMIN=${shellQuote(tokens.admin)}`,
    `export ORGANISER=${shellQuote(tokens.organiser)} ORGANISER_ID=${shellQuote(organiser.id)}`,
    `export VOLUNTEER=${shellQuote(tokens.volunteer)} VOLUNTEER_ID=${shellQuote(v.id)}`,
    `export SHOP=${shellQuote(tokens.shop)} SHOP_ID=${shellQuote(shop.id)}`,
    '',
  ].join('\n');
  await fs.writeFile(envFile, env, { mode: 0o600 });

  process.stdout.write(
    [
      '',
      `The demo programme is running at ${url}`,
      `  API reference: ${url}/docs  (press Authorize and paste one of the tokens below)`,
      '',
      `Sign-in links for the pages, each usable once within ${Math.round(config.SIGN_IN_CODE_TTL_SECONDS / 60)} minutes (more: npm run sign-in-code -- --role volunteer --sub <id>):`,
      `  programme office  ${links.admin}`,
      `  organiser         ${links.organiser}`,
      `  volunteer         ${links.volunteer}`,
      `  shop counter      ${links.shop}`,
      '',
      `Tokens, valid ${tokenTtlSeconds / 3600} hours:`,
      `  programme office (admin)`,
      `    ${tokens.admin}`,
      `  organiser ${organiser.name}, ${organiser.unit} (approves the check-ins waiting there)`,
      `    ${tokens.organiser}`,
      `  volunteer ${v.name}, ${v.community}, ${v.balance} points (id ${v.id})`,
      `    ${tokens.volunteer}`,
      `  shop ${shop.name} (id ${shop.id})`,
      `    ${tokens.shop}`,
      '',
      'In another terminal:',
      `  source ${envFile}`,
      '  curl -s -H "authorization: Bearer $VOLUNTEER" "$JIFEN/v1/volunteers/$VOLUNTEER_ID/balance"',
      '',
      `Ctrl-C stops the service; \`DATA_DIR=${shownDir} npm start\` serves this demo again.`,
      '',
    ].join('\n'),
  );
  return exited;
}

run().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof DemoRefusal || error instanceof ConfigError || error instanceof DomainError;
    process.stderr.write(`demo: ${known || !(error instanceof Error) ? String(error instanceof Error ? error.message : error) : (error.stack ?? error.message)}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
