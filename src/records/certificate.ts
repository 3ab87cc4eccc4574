import { SignJWT } from 'jose';
import type { Actor } from '../auth/actor.js';
import type { ServiceDeps } from '../deps.js';
import { DomainError } from '../errors.js';
import { signingAlg } from '../tokens/keys.js';
import { loadVisibleVolunteer } from '../volunteers/service.js';
import { starLevel } from '../volunteers/stars.js';
import { approvedMinutesByType, registerCertificate, volunteerServiceNow } from './repository.js';

/** A certificate is its own kind of document: its own key ring, `typ` and audience, never an access or redemption token. */
export const certificateType = 'jifen-certificate+jwt';
export const certificateAudience = 'jifen-certificate';

/** Hours for people to read, rounded down to the hundredth so a certificate never overstates. */
const hoursOf = (minutes: number) => Math.floor((minutes * 100) / 60) / 100;

export const certificateNumberOf = (n: number) => `JF-${String(n).padStart(8, '0')}`;

/**
 * Issues a signed certificate of a volunteer's approved service: name, total hours, hours per
 * activity type, star level, the programme and a certificate number that is never reused (a
 * sequence). Only approved records count. The certificate is a compact JWS signed with the
 * certificate key, verifiable offline with the public keys at /.well-known/jwks.json. Each issue is
 * registered, so the office can tell which numbers it has issued and to whom.
 */
export async function issueCertificate(deps: ServiceDeps, actor: Actor, volunteerId: string) {
  const volunteer = await loadVisibleVolunteer(deps, actor, volunteerId);
  const signing = deps.documentKeys.certificate.signing;
  if (!signing) throw new DomainError('service_unavailable', 'no certificate signing key is configured');
  const issued = await deps.db.transaction().execute(async (tx) => {
    const current = await volunteerServiceNow(tx, volunteerId);
    const byType = await approvedMinutesByType(tx, volunteerId);
    const stars = starLevel(current.service_minutes, deps.config.STAR_THRESHOLDS_HOURS);
    const row = await registerCertificate(tx, { volunteer_id: volunteerId, service_minutes: current.service_minutes, star_level: stars, issued_by_role: actor.role, issued_by_id: actor.id });
    return { ...row, name: current.name, minutes: current.service_minutes, byType, stars };
  });
  const certificateNumber = certificateNumberOf(issued.number);
  const certificate = await new SignJWT({
    certificateNumber,
    volunteer: { id: volunteer.id, name: issued.name },
    programme: deps.config.PROGRAMME_NAME,
    totalMinutes: issued.minutes,
    totalHours: hoursOf(issued.minutes),
    hoursByType: issued.byType.map((t) => ({ typeCode: t.code, typeName: t.name, minutes: t.minutes, hours: hoursOf(t.minutes) })),
    starLevel: issued.stars,
  })
    .setProtectedHeader({ alg: signingAlg, kid: signing.kid, typ: certificateType })
    .setIssuer(deps.config.TOKEN_ISSUER)
    .setAudience(certificateAudience)
    .setSubject(volunteer.id)
    .setJti(certificateNumber)
    .setIssuedAt(Math.floor(issued.issued_at.getTime() / 1000))
    .sign(signing.key);
  return { certificateNumber, issuedAt: issued.issued_at.toISOString(), certificate };
}
