import { createHash } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Actor } from '../auth/actor.js';
import type { ServiceDeps } from '../deps.js';
import { DomainError, validationFailed } from '../errors.js';
import { signingAlg } from '../tokens/keys.js';
import { loadVisibleVolunteer } from '../volunteers/service.js';
import { hoursOf } from '../volunteers/hours.js';
import { starLevel } from '../volunteers/stars.js';
import { approvedMinutesByType, latestCertificate, registerCertificate, volunteerServiceNow } from './repository.js';

/** A certificate is its own kind of document: its own key ring, `typ` and audience, never an access or redemption token. */
export const certificateType = 'jifen-certificate+jwt';
export const certificateAudience = 'jifen-certificate';

export const certificateNumberOf = (n: number) => `JF-${String(n).padStart(8, '0')}`;

/**
 * A signed certificate of a volunteer's approved service: name, total hours, hours per activity
 * type, star level, the programme and a certificate number that is never reused (a sequence). Only
 * approved records count. The certificate is a compact JWS signed with the certificate key,
 * verifiable offline with the public keys at /.well-known/jwks.json (docs/certificates.md).
 *
 * Asking is not issuing: while what the certificate would say is unchanged, every request gets the
 * latest issue back, with its number and date. A new number is registered only when the content
 * has changed (more hours approved, a correction, a new star level, a new name), so the office's
 * register lists certificates that differ, not page views.
 */
export async function issueCertificate(deps: ServiceDeps, actor: Actor, volunteerId: string) {
  const volunteer = await loadVisibleVolunteer(deps, actor, volunteerId);
  const signing = deps.documentKeys.certificate.signing;
  if (!signing) throw new DomainError('service_unavailable', 'no certificate signing key is configured');
  const issued = await deps.db.transaction().execute(async (tx) => {
    const current = await volunteerServiceNow(tx, volunteerId);
    const byType = await approvedMinutesByType(tx, volunteerId);
    const stars = starLevel(current.service_minutes, deps.config.STAR_THRESHOLDS_HOURS);
    const content = {
      volunteer: { id: volunteer.id, name: current.name },
      programme: deps.config.PROGRAMME_NAME,
      totalMinutes: current.service_minutes,
      totalHours: hoursOf(current.service_minutes),
      hoursByType: byType.map((t) => ({ typeCode: t.code, typeName: t.name, minutes: t.minutes, hours: hoursOf(t.minutes) })),
      starLevel: stars,
    };
    const digest = createHash('sha256').update(JSON.stringify(content)).digest('base64url');
    const latest = await latestCertificate(tx, volunteerId);
    if (latest && latest.content_digest === digest) return { number: latest.number, issued_at: latest.issued_at, content };
    const row = await registerCertificate(tx, {
      volunteer_id: volunteerId,
      service_minutes: current.service_minutes,
      star_level: stars,
      issued_by_role: actor.role,
      issued_by_id: actor.id,
      content_digest: digest,
    });
    return { ...row, content };
  });
  const certificateNumber = certificateNumberOf(issued.number);
  const certificate = await new SignJWT({ certificateNumber, ...issued.content })
    .setProtectedHeader({ alg: signingAlg, kid: signing.kid, typ: certificateType })
    .setIssuer(deps.config.TOKEN_ISSUER)
    .setAudience(certificateAudience)
    .setSubject(volunteer.id)
    .setJti(certificateNumber)
    .setIssuedAt(Math.floor(issued.issued_at.getTime() / 1000))
    .sign(signing.key);
  return { certificateNumber, issuedAt: issued.issued_at.toISOString(), certificate };
}

/** Longest certificate a verifier reads: far above any issued, far below harm. */
export const certificateLengthMax = 8000;

export interface VerifiedCertificate {
  certificateNumber: string;
  volunteer: { id: string; name: string };
  programme: string;
  totalMinutes: number;
  totalHours: number;
  hoursByType: { typeCode: string; typeName: string; minutes: number; hours: number }[];
  starLevel: number;
  issuedAt: string;
}

/**
 * Checks a certificate as anyone holding it would: a live certificate key by `kid`, EdDSA only,
 * our `typ`, issuer and audience. Answers what it certifies, or validation_failed naming
 * `certificate` when it is not one this service signed. Needs no actor: a certificate is meant to
 * be shown to people outside the programme.
 */
export async function verifyCertificate(deps: Pick<ServiceDeps, 'documentKeys' | 'config'>, certificate: string): Promise<VerifiedCertificate> {
  const refused = () => validationFailed([{ path: 'certificate', message: 'not a certificate this service issued, or altered since' }]);
  if (certificate.length > certificateLengthMax) throw refused();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(certificate, deps.documentKeys.verifierFor('certificate'), {
      algorithms: [signingAlg],
      typ: certificateType,
      issuer: deps.config.TOKEN_ISSUER,
      audience: certificateAudience,
      requiredClaims: ['jti', 'sub', 'iat'],
    }));
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) throw refused();
    throw error;
  }
  const p = payload as JWTPayload & Partial<Omit<VerifiedCertificate, 'issuedAt'>>;
  if (typeof p.certificateNumber !== 'string' || !p.volunteer || typeof p.volunteer.name !== 'string' || typeof p.totalMinutes !== 'number' || !Array.isArray(p.hoursByType)) throw refused();
  return {
    certificateNumber: p.certificateNumber,
    volunteer: { id: String(p.sub), name: p.volunteer.name },
    programme: String(p.programme ?? ''),
    totalMinutes: p.totalMinutes,
    totalHours: Number(p.totalHours ?? hoursOf(p.totalMinutes)),
    hoursByType: p.hoursByType,
    starLevel: Number(p.starLevel ?? 0),
    issuedAt: new Date((p.iat as number) * 1000).toISOString(),
  };
}
