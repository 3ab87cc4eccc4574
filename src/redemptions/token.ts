import { createHash } from 'node:crypto';
import { decodeJwt, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { uuidPattern } from '../db/ids.js';
import { DomainError } from '../errors.js';
import { signingAlg } from '../tokens/keys.js';
import type { DocumentKeys } from '../tokens/signing.js';

/**
 * Redemption tokens: the code a volunteer shows at the shop. A compact JWS signed with the
 * redemption key ring (used for nothing else), algorithm pinned to EdDSA, `kid` in the header and a
 * `typ` of its own, so it can never pass for an access token or the other way round.
 *
 * The 300-character budget decides the claim set. An Ed25519 signature is 86 characters and the
 * header (alg, 16-character kid, typ) 68, which leaves 144 characters (108 bytes of JSON) for the
 * claims; a UUID costs 30 bytes of JSON even written as 22 base64url characters. Two ids fit, three
 * do not. So the token carries the redemption id as `jti` and the merchant as `aud`: the merchant is
 * the one party the token is meant for (RFC 7519's audience), which lets a shop check a code offline
 * with any JWT library by asking for its own id as the audience. The pack is not in the token; the
 * redemption it names fixes the pack, and the redeem response reports it. `pt` is the points, and
 * `iat`/`exp` the lifetime.
 */
export const redemptionTokenTyp = 'jr';
export const redemptionTokenLengthMax = 300;

/** A UUID written as 22 base64url characters (its 16 bytes), and back. */
export function compactId(uuid: string): string {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex').toString('base64url');
}

export function expandId(compact: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{22}$/.test(compact)) return undefined;
  const hex = Buffer.from(compact, 'base64url').toString('hex');
  if (hex.length !== 32) return undefined;
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return uuidPattern.test(uuid) && compactId(uuid) === compact ? uuid : undefined;
}

export interface RedemptionClaims {
  redemptionId: string;
  merchantId: string;
  points: number;
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
}

/** Signs a redemption token with the newest live redemption key. */
export async function mintRedemptionToken(keys: DocumentKeys, claims: RedemptionClaims): Promise<{ token: string; kid: string }> {
  const signing = keys.redemption.signing;
  if (!signing) throw new Error('no private redemption key is available, so this instance cannot issue redemption tokens');
  const token = await new SignJWT({ pt: claims.points })
    .setProtectedHeader({ alg: signingAlg, kid: signing.kid, typ: redemptionTokenTyp })
    .setAudience(compactId(claims.merchantId))
    .setJti(compactId(claims.redemptionId))
    .setIssuedAt(claims.issuedAt)
    .setExpirationTime(claims.expiresAt)
    .sign(signing.key);
  if (token.length > redemptionTokenLengthMax) throw new Error(`redemption token is ${token.length} characters, over the ${redemptionTokenLengthMax} budget`);
  return { token, kid: signing.kid };
}

const invalid = (detail: string) => new DomainError('token_invalid', detail);

/** Symbols of a short code: digits and capitals without look-alikes (no 0/O, 1/I/L). */
export const shortCodeAlphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const shortCodeLength = 8;

/**
 * The short code a shop can type instead of scanning: bytes 0..7 of SHA-256 of the token, each
 * modulo 31 into the alphabet. The database derives the same (redemption_short_code in
 * sql/0017_redemption_short_codes.sql) and keeps it indexed beside the token.
 */
export function shortCodeOf(token: string): string {
  const digest = createHash('sha256').update(token, 'utf8').digest();
  let code = '';
  for (let i = 0; i < shortCodeLength; i += 1) code += shortCodeAlphabet[digest[i]! % shortCodeAlphabet.length];
  return code;
}

/** A typed or pasted short code in canonical form (capitals, no spaces or dashes), or undefined if it is not one. */
export function normaliseShortCode(input: string): string | undefined {
  if (input.length > 40) return undefined;
  const code = input.replace(/[\s-]/g, '').toUpperCase();
  if (code.length !== shortCodeLength) return undefined;
  for (const ch of code) if (!shortCodeAlphabet.includes(ch)) return undefined;
  return code;
}

/** As printed for people: two groups of four ("ABCD-EFGH"). */
export function printedShortCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * Verifies a redemption token: a live redemption key by `kid`, EdDSA only, our `typ`, `jti`, `aud`,
 * `iat` and `exp` present, expiry with a small tolerance for clocks that differ between instances.
 * A token whose signature fails for any reason is `token_invalid`; only a genuine token past its
 * expiry is `token_expired`. The database's own expiry time stays the final word on redeeming.
 */
export async function verifyRedemptionToken(
  keys: DocumentKeys,
  token: string,
  clockToleranceSeconds: number,
  options: { acceptExpired?: boolean } = {},
): Promise<RedemptionClaims> {
  if (token.length > redemptionTokenLengthMax) throw invalid('not a redemption token this service issued');
  // With acceptExpired (to recognise a retry of a code already redeemed), the signature and every
  // other check still hold; only the clock is set to just before the token's own expiry.
  let currentDate: Date | undefined;
  if (options.acceptExpired) {
    let exp: unknown;
    try {
      exp = decodeJwt(token).exp;
    } catch {
      throw invalid('the redemption code is not valid');
    }
    if (typeof exp === 'number' && Number.isFinite(exp)) currentDate = new Date((exp - 1) * 1000);
  }
  let payload;
  try {
    ({ payload } = await jwtVerify(token, keys.verifierFor('redemption'), {
      algorithms: [signingAlg],
      typ: redemptionTokenTyp,
      clockTolerance: clockToleranceSeconds,
      requiredClaims: ['jti', 'aud', 'iat', 'exp'],
      ...(currentDate ? { currentDate } : {}),
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new DomainError('token_expired', 'the redemption code has expired; the volunteer can claim again');
    if (error instanceof joseErrors.JOSEError) throw invalid('the redemption code is not valid');
    throw error;
  }
  const redemptionId = typeof payload.jti === 'string' ? expandId(payload.jti) : undefined;
  const merchantId = typeof payload.aud === 'string' ? expandId(payload.aud) : undefined;
  const points = payload.pt;
  if (!redemptionId || !merchantId || typeof points !== 'number' || !Number.isSafeInteger(points) || points < 1) {
    throw invalid('the redemption code does not carry the claims of a redemption');
  }
  return { redemptionId, merchantId, points, issuedAt: payload.iat as number, expiresAt: payload.exp as number };
}
