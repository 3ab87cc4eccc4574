/**
 * Prints a bearer token the running configuration accepts: same environment, same keys.
 *   npm run token -- --role admin --sub ops
 *   npm run token -- --role volunteer --sub <volunteer id> --ttl 600
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config.js';
import { createAccessTokens, loadAccessKeyRing, roles, type Role } from '../src/tokens/access.js';

const usage = 'usage: npm run token -- --role <volunteer|organiser|merchant|admin> --sub <id> [--ttl <seconds>]';

async function run(): Promise<void> {
  const { values } = parseArgs({ options: { role: { type: 'string' }, sub: { type: 'string' }, ttl: { type: 'string' } } });
  if (!values.role || !values.sub || !(roles as readonly string[]).includes(values.role)) throw new Error(usage);
  const ttl = values.ttl ? Number(values.ttl) : undefined;
  const config = loadConfig();
  const max = config.ACCESS_TOKEN_LIFETIME_MAX_SECONDS;
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1 || ttl > max)) throw new Error(`--ttl must be a whole number of seconds up to ${max} (ACCESS_TOKEN_LIFETIME_MAX_SECONDS)`);
  const tokens = createAccessTokens(config, await loadAccessKeyRing(config));
  process.stdout.write(`${await tokens.mint({ role: values.role as Role, sub: values.sub }, ttl)}\n`);
}

run().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
