import path from 'node:path';
import { z } from 'zod';

/**
 * The whole configuration surface of the service. Nothing else in the code base reads
 * `process.env`: every setting is named here, validated once at start, and frozen.
 */
const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not an IANA time zone' },
);

const postgresUrl = z
  .string()
  .url()
  .refine((u) => /^postgres(ql)?:\/\//.test(u), { message: 'must be a postgres:// or postgresql:// URL' });

export const envSchema = z.object({
  PORT: intFrom(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: postgresUrl.optional(),
  /**
   * The address people reach the service at (scheme, host, port; no path), used in the links it
   * hands out: sign-in links, check-in QR codes, certificate verification. Unset: http://localhost:PORT.
   * An https address also marks the session cookie Secure.
   */
  PUBLIC_URL: z
    .string()
    .url()
    .refine((u) => /^https?:\/\/[^/]+\/?$/.test(u), { message: 'must be an http(s) origin with no path, e.g. https://jifen.example.org' })
    .transform((u) => u.replace(/\/$/, ''))
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DB_POOL_MAX: intFrom(1, 200).default(10),
  // Group commit of single-statement writes (awards, adjustments, reversals, claims, redeems): at
  // most this many groups in the database at once, each of at most WRITE_GROUP_SIZE_MAX writes.
  // WRITE_GROUP_SIZE_MAX=1 sends every write alone.
  WRITE_GROUPS_MAX: intFrom(1, 200).default(4),
  WRITE_GROUP_SIZE_MAX: intFrom(1, 32).default(32),
  /** Longest a request waits for a free database connection before answering 503. */
  DB_ACQUIRE_TIMEOUT_MS: intFrom(10, 60_000).default(5_000),
  DB_CONNECT_TIMEOUT_SECONDS: intFrom(1, 120).default(5),
  DB_STATEMENT_TIMEOUT_MS: intFrom(100, 600_000).default(15_000),
  DB_LOCK_TIMEOUT_MS: intFrom(10, 600_000).default(5_000),
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: intFrom(100, 600_000).default(30_000),
  /** Requests per second each caller may sustain, with bursts up to RATE_LIMIT_BURST; 0 turns limiting off. */
  RATE_LIMIT_PER_SECOND: intFrom(0, 1_000_000).default(200),
  RATE_LIMIT_BURST: intFrom(1, 1_000_000).default(2000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `production` keeps a terminal's output to the JSON log alone (no line written for a person). */
  NODE_ENV: z.string().optional(),
  PROGRAMME_NAME: z.string().min(1).max(200).default('jifen volunteer programme'),
  PROGRAMME_TIME_ZONE: timeZone.default('Asia/Shanghai'),
  TOKEN_ISSUER: z.string().min(1).default('jifen'),
  TOKEN_AUDIENCE: z.string().min(1).default('jifen-api'),
  ACCESS_TOKEN_TTL_SECONDS: intFrom(60, 30 * 24 * 3600).default(3600),
  /**
   * Longest lifetime (exp − iat) of an access token this service accepts, however it was signed: a
   * leaked token with exp in year 9999 is refused. Must be at least ACCESS_TOKEN_TTL_SECONDS.
   */
  ACCESS_TOKEN_LIFETIME_MAX_SECONDS: intFrom(60, 30 * 24 * 3600).default(24 * 3600),
  CLOCK_TOLERANCE_SECONDS: intFrom(0, 300).default(30),
  /** Public verification keys for access tokens, as a JWKS document (JSON). Several keys allow rotation. */
  ACCESS_TOKEN_JWKS: z.string().min(1).optional(),
  ACCESS_TOKEN_JWKS_FILE: z.string().min(1).optional(),
  /** Private key (JWK JSON with `kid`) used by `npm run token` to mint access tokens. */
  ACCESS_TOKEN_PRIVATE_JWK: z.string().min(1).optional(),
  ACCESS_TOKEN_PRIVATE_JWK_FILE: z.string().min(1).optional(),
  BODY_LIMIT_BYTES: intFrom(1024, 64 * 1024 * 1024).default(1024 * 1024),
  SHUTDOWN_GRACE_MS: intFrom(0, 60_000).default(8_000),
  MIGRATE_ON_START: booleanish.default(true),
  /** How long a principal confirmed active is trusted without asking the database again; 0 = every request. */
  PRINCIPAL_CACHE_MS: intFrom(0, 60_000).default(2_000),
  /** Lifetime of a sign-in code (the one-time code an organiser hands over), in seconds. */
  SIGN_IN_CODE_TTL_SECONDS: intFrom(60, 30 * 24 * 3600).default(900),
  /**
   * How long a printed sign-in card (the desk's cards for residents, the office's counter codes)
   * stays valid: it is handed over or posted, and used days later at home or at the counter.
   */
  SIGN_IN_CARD_TTL_SECONDS: intFrom(60, 30 * 24 * 3600).default(7 * 24 * 3600),
  /**
   * Idle lifetime of a browser session, per role: each use slides its expiry forward by this much.
   * Volunteers sign in rarely on their own phone; a shop's counter device stays signed in; staff
   * sessions carry more power and end after a working day without use.
   */
  SESSION_TTL_VOLUNTEER_SECONDS: intFrom(300, 400 * 24 * 3600).default(30 * 24 * 3600),
  SESSION_TTL_MERCHANT_SECONDS: intFrom(300, 400 * 24 * 3600).default(90 * 24 * 3600),
  SESSION_TTL_ORGANISER_SECONDS: intFrom(300, 400 * 24 * 3600).default(12 * 3600),
  SESSION_TTL_ADMIN_SECONDS: intFrom(300, 400 * 24 * 3600).default(12 * 3600),
  /** Failed sign-in attempts (wrong, used or expired codes) one client address may make per minute. */
  SIGN_IN_FAILURES_PER_CLIENT_PER_MINUTE: intFrom(1, 1_000_000).default(20),
  /** Failed sign-in attempts the whole instance accepts per minute, whoever makes them. */
  SIGN_IN_FAILURES_PER_MINUTE: intFrom(1, 10_000_000).default(600),
  /**
   * Behind a reverse proxy, the client address is the last entry of X-Forwarded-For (the one the
   * proxy added) rather than the proxy's own address. Only set when a proxy always adds it.
   */
  TRUST_PROXY: booleanish.default(false),
  /** The programme's OpenID Connect provider (its issuer URL); unset: sign-in codes only. */
  OIDC_ISSUER: z.string().url().max(500).optional(),
  OIDC_CLIENT_ID: z.string().min(1).max(500).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).max(2000).optional(),
  /** The `aud` the provider's access tokens carry for this API; default: OIDC_CLIENT_ID. */
  OIDC_AUDIENCE: z.string().min(1).max(500).optional(),
  /** The provider's name on the sign-in page ("sign in with …"). */
  OIDC_DISPLAY_NAME: z.string().min(1).max(100).default('single sign-on'),
  /**
   * The provider's keys are fetched again when a token names a key not seen before (the provider
   * rotated its keys), but at most this often, so forged `kid`s cannot make us hammer the provider.
   */
  OIDC_JWKS_REFRESH_MIN_SECONDS: intFrom(0, 3600).default(30),
  /** Signature algorithms accepted on the provider's tokens, comma-separated. */
  OIDC_TOKEN_ALGORITHMS: z
    .string()
    .default('RS256,ES256')
    .transform((text) => text.split(',').map((part) => part.trim()).filter(Boolean))
    .pipe(z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1)),
  /** Lifetime of a redemption token (the code a volunteer shows at the shop), in seconds. */
  REDEMPTION_TOKEN_TTL_SECONDS: intFrom(1, 7 * 24 * 3600).default(900),
  /** Failed redemption attempts a merchant may make per window before further attempts get 429; 0 = no limit. */
  REDEEM_FAILURES_MAX: intFrom(0, 1_000_000).default(1000),
  REDEEM_FAILURE_WINDOW_SECONDS: intFrom(1, 3600).default(60),
  /** How often the sweeper releases expired claims; 0 turns the background sweeper off. */
  SWEEPER_INTERVAL_MS: intFrom(0, 3_600_000).default(30_000),
  /**
   * Minutes a new wish is offered only to the volunteers holding a post (楼栋长, 单元长, 片长, 网格员) in
   * its unit, before any volunteer in scope may take it; 0 turns the window off. No window opens in a
   * unit where nobody holds a post.
   */
  WISH_POST_HOLDER_MINUTES: intFrom(0, 24 * 60).default(5),
  /**
   * The depth of a community in the org-unit tree (district 1, street 2, community 3, ...). A
   * volunteer sees and may take the open wishes of its community's subtree: the ancestor of its own
   * unit at this depth, or its own unit if that is shallower.
   */
  WISH_COMMUNITY_DEPTH: intFrom(1, 10).default(3),
  /** Approved hours needed for one to five stars, ascending, comma-separated. */
  STAR_THRESHOLDS_HOURS: z
    .string()
    .default('100,300,600,1000,1500')
    .transform((text) => text.split(',').map((part) => Number(part.trim())))
    .pipe(
      z
        .array(z.number().int().positive())
        .length(5, 'five thresholds, one per star')
        .refine((list) => list.every((n, i) => i === 0 || n > (list[i - 1] ?? 0)), 'thresholds must ascend'),
    ),
});

export type Config = Readonly<
  Omit<z.infer<typeof envSchema>, 'DATA_DIR' | 'PUBLIC_URL'> & {
    DATA_DIR: string;
    /** Always set once loaded: PUBLIC_URL, or http://localhost:PORT. */
    PUBLIC_URL: string;
  }
>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment into a frozen configuration. Throws a ConfigError naming every bad variable,
 * so an operator sees all problems at once rather than one per restart.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings are treated as unset so that `FOO= npm start` behaves like leaving FOO out.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      return `${name}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const value = result.data;
  const problems: string[] = [];
  if (value.ACCESS_TOKEN_JWKS && value.ACCESS_TOKEN_JWKS_FILE) {
    problems.push('ACCESS_TOKEN_JWKS_FILE: set either ACCESS_TOKEN_JWKS or ACCESS_TOKEN_JWKS_FILE, not both');
  }
  if (value.ACCESS_TOKEN_PRIVATE_JWK && value.ACCESS_TOKEN_PRIVATE_JWK_FILE) {
    problems.push('ACCESS_TOKEN_PRIVATE_JWK_FILE: set either ACCESS_TOKEN_PRIVATE_JWK or ACCESS_TOKEN_PRIVATE_JWK_FILE, not both');
  }
  const oidc = [value.OIDC_ISSUER, value.OIDC_CLIENT_ID, value.OIDC_CLIENT_SECRET];
  if (value.OIDC_ISSUER && new URL(value.OIDC_ISSUER).protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(new URL(value.OIDC_ISSUER).hostname)) {
    problems.push('OIDC_ISSUER: must be an https URL (plain http only for a provider on this host)');
  }
  if (oidc.some(Boolean) && !oidc.every(Boolean)) {
    problems.push('OIDC_ISSUER: OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are set together or not at all');
  }
  if (value.ACCESS_TOKEN_TTL_SECONDS > value.ACCESS_TOKEN_LIFETIME_MAX_SECONDS) {
    problems.push(
      `ACCESS_TOKEN_TTL_SECONDS: ${value.ACCESS_TOKEN_TTL_SECONDS} is longer than ACCESS_TOKEN_LIFETIME_MAX_SECONDS (${value.ACCESS_TOKEN_LIFETIME_MAX_SECONDS}); the service would refuse the tokens it mints`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    ...value,
    DATA_DIR: path.resolve(value.DATA_DIR),
    PUBLIC_URL: value.PUBLIC_URL ?? `http://localhost:${value.PORT}`,
  });
}
