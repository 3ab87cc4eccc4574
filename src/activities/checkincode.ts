import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The activity's check-in code rotates: six digits derived from the activity's secret and the
 * current period, as an authenticator app derives its codes (RFC 6238's truncation over
 * HMAC-SHA-256). The organiser's screen shows the code of the moment; a volunteer's phone may take
 * a while to open the link, so the codes of the last few periods are still accepted. A photo of the
 * code sent around stops working once those have passed. Pure: time comes in as an argument.
 */

/** How long one code is shown before the next replaces it. */
export const checkInCodePeriodSeconds = 30;
/** How long after it was replaced a code is still accepted: a slow phone, a sign-in on the way. */
export const checkInCodeGraceSeconds = 120;
/**
 * How far back a code is still recognised as this activity's, to tell a volunteer "that code has
 * expired, scan again" rather than "wrong code" (and not count it as a guess).
 */
const recognisedSeconds = 30 * 60;
export const checkInSecretBytes = 32;

export const newCheckInSecret = () => randomBytes(checkInSecretBytes);

const periodAt = (atMs: number) => Math.floor(atMs / 1000 / checkInCodePeriodSeconds);

function codeOfPeriod(secret: Uint8Array, period: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(period));
  const mac = createHmac('sha256', secret).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const value = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(value % 1_000_000).padStart(6, '0');
}

/** The code to show at `atMs`, and when it stops being the one shown. */
export function checkInCodeAt(secret: Uint8Array, atMs: number): { code: string; shownUntil: Date; acceptedUntil: Date } {
  const period = periodAt(atMs);
  const end = (period + 1) * checkInCodePeriodSeconds * 1000;
  return { code: codeOfPeriod(secret, period), shownUntil: new Date(end), acceptedUntil: new Date(end + checkInCodeGraceSeconds * 1000) };
}

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Judges a code typed or scanned at `atMs`: 'current' when shown now or within the grace,
 * 'expired' when it was this activity's code earlier (recently enough to be an honest late scan),
 * 'wrong' otherwise. A six-digit code from an earlier period matches by chance one time in a
 * million per period looked at, so looking back half an hour hardly helps a guesser.
 */
export function judgeCheckInCode(secret: Uint8Array, code: string, atMs: number): 'current' | 'expired' | 'wrong' {
  const now = periodAt(atMs);
  const graced = Math.ceil(checkInCodeGraceSeconds / checkInCodePeriodSeconds);
  for (let p = now; p >= now - graced; p--) if (same(codeOfPeriod(secret, p), code)) return 'current';
  const recognised = Math.ceil(recognisedSeconds / checkInCodePeriodSeconds);
  for (let p = now - graced - 1; p >= now - recognised; p--) if (same(codeOfPeriod(secret, p), code)) return 'expired';
  return 'wrong';
}
