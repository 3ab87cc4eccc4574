import { z } from '../http/openapi.js';

const roleEnum = z.enum(['volunteer', 'organiser', 'merchant', 'admin']);

export const CreateSignInCodeBody = z
  .strictObject({
    role: roleEnum,
    principalId: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters')
      .openapi({ description: 'The volunteer, organiser or merchant id; for `admin`, the operator\'s name (as an admin token\'s `sub`)' }),
    expiresInSeconds: z
      .number()
      .int()
      .min(60)
      .max(30 * 24 * 3600)
      .optional()
      .openapi({ description: 'How long the code stays valid, 60 s to 30 days (a printed card handed over for later use); default SIGN_IN_CODE_TTL_SECONDS' }),
  })
  .openapi('CreateSignInCode');

export const SignInCodeSchema = z
  .object({
    code: z.string().openapi({ example: 'K7MX3QPA', description: '8 symbols from 23456789ABCDEFGHJKMNPQRSTUVWXYZ; single use' }),
    url: z.string().url().openapi({ description: 'The sign-in page with the code filled in, for a printed card or a QR code' }),
    expiresAt: z.string().datetime(),
  })
  .openapi('SignInCode');

export const SignInBody = z
  .strictObject({
    code: z.string().max(64).openapi({ example: 'K7MX3QPA', description: 'Case, spaces and dashes are ignored' }),
    deviceLabel: z.string().trim().min(1).max(100).optional().openapi({ description: 'What to call this device in the list of sessions; default: from its User-Agent' }),
  })
  .openapi('SignIn');

export const PrincipalSchema = z
  .object({
    role: roleEnum,
    id: z.string(),
    name: z.string(),
  })
  .openapi('Principal');

export const SignedInSchema = z
  .object({
    principal: PrincipalSchema,
    expiresAt: z.string().datetime().openapi({ description: 'When the session ends unless used again (each use slides it forward)' }),
    identityLinked: z.boolean().openapi({ description: 'True when this sign-in also linked a pending OpenID Connect identity to the principal' }),
  })
  .openapi('SignedIn');

export const CurrentSessionSchema = z
  .object({
    id: z.string().uuid(),
    principal: PrincipalSchema,
    expiresAt: z.string().datetime(),
  })
  .openapi('CurrentSession');

export const SessionSchema = z
  .object({
    id: z.string().uuid(),
    deviceLabel: z.string(),
    method: z.enum(['code', 'oidc']),
    createdAt: z.string().datetime(),
    lastSeenAt: z.string().datetime(),
    expiresAt: z.string().datetime(),
    current: z.boolean().openapi({ description: 'True for the session this request was made with' }),
  })
  .openapi('Session');

export const SessionListSchema = z.object({ items: z.array(SessionSchema) }).openapi('SessionList');

export const RevokeSessionsBody = z
  .strictObject({
    principalId: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters')
      .openapi({ description: 'A volunteer, organiser or merchant id, or an operator\'s name' }),
  })
  .openapi('RevokeSessions');

export const RevokedSchema = z
  .object({
    principalId: z.string(),
    sessionsEnded: z.number().int(),
    codesVoided: z.number().int(),
  })
  .openapi('Revoked');

export const SignInOptionsSchema = z
  .object({
    codes: z.literal(true).openapi({ description: 'Sign-in codes are always accepted' }),
    oidc: z
      .object({ displayName: z.string(), startUrl: z.string() })
      .nullable()
      .openapi({ description: 'The programme\'s identity provider, when one is configured' }),
  })
  .openapi('SignInOptions');

export type CreateSignInCodeInput = z.infer<typeof CreateSignInCodeBody>;
export type Principal = z.infer<typeof PrincipalSchema>;
export type Session = z.infer<typeof SessionSchema>;
