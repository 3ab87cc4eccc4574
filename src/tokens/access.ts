import fs from 'node:fs/promises';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import type { Config } from '../config.js';
import { uuidPattern } from '../db/ids.js';
import { DomainError } from '../errors.js';
import { keyFilePath, keyRingFromConfig, keyRingFromFile, loadOrCreateKeyFile, signingAlg, type KeyRing } from './keys.js';

export const roles = ['volunteer', 'organiser', 'merchant', 'admin'] as const;
export type Role = (typeof roles)[number];

export interface AccessClaims {
  sub: string;
  role: Role;
}

const claimsSchema = z.object({
  sub: z.string().min(1).max(200),
  role: z.enum(roles),
});

/** The `typ` of access tokens this service mints (RFC 9068). Tokens of other kinds are refused. */
export const accessTokenTyp = 'at+jwt';

export interface AccessTokens {
  ring: KeyRing;
  verify(token: string): Promise<AccessClaims>;
  mint(claims: AccessClaims, ttlSeconds?: number): Promise<string>;
}

/**
 * Loads the access-token keys: from configuration when given (production), otherwise from
 * `DATA_DIR/keys/access.json`, generated on first run so a fresh checkout needs no set-up.
 */
export async function loadAccessKeyRing(config: Config): Promise<KeyRing> {
  const jwks = config.ACCESS_TOKEN_JWKS ?? (config.ACCESS_TOKEN_JWKS_FILE ? await fs.readFile(config.ACCESS_TOKEN_JWKS_FILE, 'utf8') : undefined);
  const privateJwk =
    config.ACCESS_TOKEN_PRIVATE_JWK ?? (config.ACCESS_TOKEN_PRIVATE_JWK_FILE ? await fs.readFile(config.ACCESS_TOKEN_PRIVATE_JWK_FILE, 'utf8') : undefined);
  if (jwks || privateJwk) return keyRingFromConfig('access', jwks, privateJwk, 'environment');
  const file = await loadOrCreateKeyFile(config.DATA_DIR, 'access');
  return keyRingFromFile(file, keyFilePath(config.DATA_DIR, 'access'));
}

/** How many verified tokens are remembered; a signature check costs far more than a map lookup. */
const verifiedCacheSizeMax = 10_000;

export function createAccessTokens(config: Config, ring: KeyRing): AccessTokens {
  const keySet: JWTVerifyGetKey = createLocalJWKSet({ keys: ring.publicJwks });
  // A token is immutable and the keys are fixed for the process's life, so a token that verified
  // once verifies again until it expires. Only the signature work is skipped: whether the principal
  // is still active is checked on every request.
  const verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();
  const remember = (token: string, claims: AccessClaims, exp: number) => {
    if (verified.size >= verifiedCacheSizeMax) {
      const oldest = verified.keys().next();
      if (!oldest.done) verified.delete(oldest.value);
    }
    verified.set(token, { claims, expiresAtMs: (exp + config.CLOCK_TOLERANCE_SECONDS) * 1000 });
  };
  return {
    ring,
    /**
     * Verifies a bearer token: signature by a live key, algorithm pinned to EdDSA, issuer,
     * audience, issue time and expiry required, with a small clock tolerance; issued no later than
     * now (within the tolerance) and living at most ACCESS_TOKEN_LIFETIME_MAX_SECONDS. Every
     * failure is `unauthorized`.
     */
    async verify(token) {
      const cached = verified.get(token);
      if (cached) {
        if (cached.expiresAtMs > Date.now()) return cached.claims;
        verified.delete(token);
      }
      try {
        const { payload, protectedHeader } = await jwtVerify(token, keySet, {
          algorithms: [signingAlg],
          issuer: config.TOKEN_ISSUER,
          audience: config.TOKEN_AUDIENCE,
          clockTolerance: config.CLOCK_TOLERANCE_SECONDS,
          // iat is required (RFC 9068 access tokens carry it; everything we mint sets it): without
          // it a token's lifetime cannot be bounded.
          requiredClaims: ['exp', 'iat', 'sub', 'iss', 'aud'],
        });
        const iat = payload.iat as number;
        const exp = payload.exp as number;
        if (iat > Date.now() / 1000 + config.CLOCK_TOLERANCE_SECONDS) throw new DomainError('unauthorized', 'token issued in the future');
        if (exp - iat > config.ACCESS_TOKEN_LIFETIME_MAX_SECONDS) {
          throw new DomainError('unauthorized', `token lifetime exceeds ${config.ACCESS_TOKEN_LIFETIME_MAX_SECONDS} seconds`);
        }
        if (protectedHeader.typ !== undefined && protectedHeader.typ !== accessTokenTyp && protectedHeader.typ !== 'JWT') {
          throw new DomainError('unauthorized', 'this kind of token is not an access token');
        }
        const parsed = claimsSchema.safeParse(payload);
        if (!parsed.success) throw new DomainError('unauthorized', 'token claims are missing or malformed');
        // Ids are normalised here, once: a uuid `sub` in any case names the same principal, so the
        // principal cache, deactivation and every row written under this actor see one spelling.
        const claims: AccessClaims = { role: parsed.data.role, sub: uuidPattern.test(parsed.data.sub) ? parsed.data.sub.toLowerCase() : parsed.data.sub };
        remember(token, claims, payload.exp as number);
        return claims;
      } catch (error) {
        if (error instanceof DomainError) throw error;
        if (error instanceof joseErrors.JWTExpired) throw new DomainError('unauthorized', 'token expired');
        if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'iat') throw new DomainError('unauthorized', 'token has no valid iat (issued-at) claim');
        if (error instanceof joseErrors.JOSEError) throw new DomainError('unauthorized', 'token rejected');
        throw error;
      }
    },
    async mint(claims, ttlSeconds = config.ACCESS_TOKEN_TTL_SECONDS) {
      if (!ring.signing) throw new Error('no private access-token key is configured, so this instance cannot mint tokens');
      return new SignJWT({ role: claims.role })
        .setProtectedHeader({ alg: signingAlg, kid: ring.signing.kid, typ: accessTokenTyp })
        .setSubject(claims.sub)
        .setIssuer(config.TOKEN_ISSUER)
        .setAudience(config.TOKEN_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .sign(ring.signing.key);
    },
  };
}
