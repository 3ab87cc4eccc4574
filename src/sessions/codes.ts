import { randomInt } from 'node:crypto';

/**
 * The symbols of a sign-in code: digits and capital letters without the ones people misread or
 * mistype for each other (0/O, 1/I/L). 31 symbols, 8 of them: about 8.5 × 10^11 codes.
 */
export const codeAlphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const codeLength = 8;

const codePattern = new RegExp(`^[${codeAlphabet}]{${codeLength}}$`);

/** A fresh code, each symbol drawn uniformly by the operating system's random source. */
export function newSignInCode(): string {
  let code = '';
  for (let i = 0; i < codeLength; i += 1) code += codeAlphabet[randomInt(codeAlphabet.length)];
  return code;
}

/**
 * A code as typed by a person, in the canonical spelling, or undefined when it cannot be one. Case,
 * spaces and dashes are forgiven (a card may print it as "ABCD-EFGH"); look-alike symbols are not
 * mapped, since the alphabet never contains them.
 */
export function normaliseSignInCode(typed: string): string | undefined {
  const code = typed.replace(/[\s-]/g, '').toUpperCase();
  return codePattern.test(code) ? code : undefined;
}
