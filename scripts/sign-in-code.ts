/**
 * Prints a sign-in link (one-time code) for a principal, so nobody needs a hand-made token to begin:
 *   npm run sign-in-code -- --role admin --sub office          # the programme office, on first start
 *   npm run sign-in-code -- --role volunteer --sub <volunteer id>
 * The link goes to stdout alone (so `$(npm run --silent sign-in-code -- …)` captures it); when it
 * expires goes to stderr. Same environment as the service: DATABASE_URL, else the embedded database
 * in DATA_DIR. The embedded database belongs to one process at a time, so while the service is
 * serving it the code is asked of the service itself (with a short-lived admin token minted from the
 * same keys, as `npm run token` does); otherwise it is written to the database directly.
 */
import { parseArgs } from 'node:util';
import { SignInThrottle } from '../src/auth/sign-in-throttle.js';
import { ConfigError, loadConfig, type Config } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { CreateSignInCodeBody } from '../src/sessions/schemas.js';
import { issueSignInCode } from '../src/sessions/service.js';
import { createAccessTokens, loadAccessKeyRing, roles, type Role } from '../src/tokens/access.js';

const usage = 'usage: npm run sign-in-code -- --role <volunteer|organiser|merchant|admin> --sub <id, or the operator\'s name for admin>';

/** Who the codes this script issues are recorded as coming from. */
const issuer = 'sign-in-code-script';

type Issued = { code: string; url: string; expiresAt: string };

/** The embedded database's own service, if one is serving it now. */
async function runningService(config: Config): Promise<string | undefined> {
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  const base = `http://${host}:${config.PORT}`;
  try {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1500) });
    return res.ok ? base : undefined;
  } catch {
    return undefined;
  }
}

async function viaService(config: Config, base: string, role: Role, sub: string): Promise<Issued> {
  const tokens = createAccessTokens(config, await loadAccessKeyRing(config));
  const token = await tokens.mint({ role: 'admin', sub: issuer }, 60);
  const res = await fetch(`${base}/v1/sign-in-codes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ role, principalId: sub }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as Issued & { detail?: string };
  if (res.status !== 201) throw new Error(`the service at ${base} refused: ${body.detail ?? res.status}`);
  return body;
}

async function direct(config: Config, role: Role, sub: string): Promise<Issued> {
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolMax: 1 });
  try {
    if (config.MIGRATE_ON_START) await migrate(database);
    const deps = { db: database.db, config, signInThrottle: new SignInThrottle(1, 1) };
    return await issueSignInCode(deps, { role: 'admin', id: issuer }, { role, principalId: sub });
  } finally {
    await database.close();
  }
}

async function run(): Promise<void> {
  const { values } = parseArgs({ options: { role: { type: 'string' }, sub: { type: 'string' } } });
  if (!values.role || !values.sub || !(roles as readonly string[]).includes(values.role)) throw new Error(usage);
  const parsed = CreateSignInCodeBody.safeParse({ role: values.role, principalId: values.sub });
  if (!parsed.success) throw new Error(`--sub: ${parsed.error.issues[0]?.message ?? 'not valid'}\n${usage}`);
  const role = values.role as Role;
  const config = loadConfig();
  const service = config.DATABASE_URL ? undefined : await runningService(config);
  const issued = service ? await viaService(config, service, role, values.sub) : await direct(config, role, values.sub);
  process.stdout.write(`${issued.url}\n`);
  process.stderr.write(`single use; valid until ${issued.expiresAt}\n`);
}

run().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
