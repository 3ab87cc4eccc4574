import { hkdfSync } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import * as client from 'openid-client';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { DomainError } from '../errors.js';
import type { AccessClaims } from '../tokens/access.js';
import { findIdentityLink } from './identities.js';

/** A provider identity: who the programme's OpenID provider says someone is. */
export interface ProviderIdentity {
  issuer: string;
  subject: string;
}

/** What the short-lived signed cookies of the provider flow carry, by purpose. */
export interface OidcCookieClaims {
  /** The login in progress: checked when the provider sends the browser back. */
  login: { state: string; nonce: string; verifier: string };
  /** A provider identity waiting to be linked by a sign-in code. */
  link: ProviderIdentity;
}

export interface Oidc {
  displayName: string;
  /** The provider's configuration, discovered once and kept; 503 while the provider cannot be reached. */
  configuration(): Promise<client.Configuration>;
  /** True when a bearer token names this provider as its issuer (before any verification). */
  issued(token: string): boolean;
  /**
   * Verifies an access token the provider issued for this API (keys from its discovery document,
   * algorithms pinned, issuer, audience and expiry checked) and turns its identity into the claims
   * of the principal it is linked to: 403 identity_not_linked when it is linked to nobody.
   */
  claimsFrom(token: string): Promise<AccessClaims>;
  seal<P extends keyof OidcCookieClaims>(purpose: P, claims: OidcCookieClaims[P], ttlSeconds: number): Promise<string>;
  /** The claims of a cookie sealed for `purpose`, or undefined when it is forged, expired or for something else. */
  open<P extends keyof OidcCookieClaims>(purpose: P, value: string): Promise<OidcCookieClaims[P] | undefined>;
}

/** How long the provider's keys are used before they are fetched again anyway. */
const jwksMaxAgeMs = 10 * 60_000;

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** Loopback issuers (a provider on the same host, as in tests) may speak plain http; no other may. */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

/**
 * The programme's OpenID Connect provider, when OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET
 * are set; undefined otherwise. Nothing is fetched until first needed, so the service starts while
 * the provider is down and signs in with codes meanwhile.
 */
export function createOidc(config: Config, db: Db): Oidc | undefined {
  const { OIDC_ISSUER: issuerUrl, OIDC_CLIENT_ID: clientId, OIDC_CLIENT_SECRET: clientSecret } = config;
  if (!issuerUrl || !clientId || !clientSecret) return undefined;
  const audience = config.OIDC_AUDIENCE ?? clientId;
  // The cookies of the flow are signed with a key derived from the client secret: every instance of
  // the service has it already, and nothing else of ours is keyed by it.
  const cookieKey = new Uint8Array(hkdfSync('sha256', clientSecret, 'jifen', 'oidc flow cookies', 32));
  let discovered: Promise<client.Configuration> | undefined;
  let keys: JWTVerifyGetKey | undefined;

  const configuration = () => {
    discovered ??= client
      .discovery(new URL(issuerUrl), clientId, clientSecret, undefined, isLoopbackUrl(issuerUrl) ? { execute: [client.allowInsecureRequests], timeout: 10 } : { timeout: 10 })
      .catch((error: unknown) => {
        discovered = undefined;
        throw new DomainError('service_unavailable', `the identity provider could not be reached (${error instanceof Error ? error.message : 'unknown error'}); sign in with a code meanwhile`, {}, 30);
      });
    return discovered;
  };

  const keySet = async () => {
    if (keys) return keys;
    const jwksUri = (await configuration()).serverMetadata().jwks_uri;
    if (!jwksUri) throw new DomainError('service_unavailable', 'the identity provider publishes no keys (jwks_uri)');
    keys = createRemoteJWKSet(new URL(jwksUri), { cooldownDuration: config.OIDC_JWKS_REFRESH_MIN_SECONDS * 1000, cacheMaxAge: jwksMaxAgeMs, timeoutDuration: 5000 });
    return keys;
  };

  return {
    displayName: config.OIDC_DISPLAY_NAME,
    configuration,
    issued(token) {
      try {
        const iss = decodeJwt(token).iss;
        return typeof iss === 'string' && trimSlash(iss) === trimSlash(issuerUrl);
      } catch {
        return false;
      }
    },
    async claimsFrom(token) {
      const issuer = (await configuration()).serverMetadata().issuer;
      let subject: string;
      try {
        const { payload } = await jwtVerify(token, await keySet(), {
          algorithms: config.OIDC_TOKEN_ALGORITHMS,
          issuer,
          audience,
          clockTolerance: config.CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp', 'sub', 'iss', 'aud'],
        });
        subject = payload.sub!;
      } catch (error) {
        if (error instanceof DomainError) throw error;
        if (error instanceof joseErrors.JWTExpired) throw new DomainError('unauthorized', 'token expired');
        if (error instanceof joseErrors.JOSEError) throw new DomainError('unauthorized', 'token rejected');
        throw error;
      }
      const link = await findIdentityLink(db, issuer, subject);
      if (!link) throw identityNotLinked();
      return { role: link.role, sub: link.principal_id };
    },
    async seal(purpose, claims, ttlSeconds) {
      return new SignJWT({ ...claims, purpose })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .sign(cookieKey);
    },
    async open(purpose, value) {
      try {
        const { payload } = await jwtVerify(value, cookieKey, { algorithms: ['HS256'], requiredClaims: ['exp'] });
        if (payload.purpose !== purpose) return undefined;
        const { purpose: _purpose, iat: _iat, exp: _exp, ...claims } = payload;
        return claims as unknown as OidcCookieClaims[typeof purpose];
      } catch {
        return undefined;
      }
    },
  };
}

export const identityNotLinked = () =>
  new DomainError(
    'identity_not_linked',
    'your account at the identity provider is not linked to anyone in this programme yet: sign in once with a sign-in code from your organiser (within 15 minutes) to link it',
  );
