import { z } from '../http/openapi.js';

/**
 * A person's subject (`sub`) at the programme's identity provider, given when registering a
 * volunteer, an organiser or a shop so they can sign in there.
 */
export const externalSubjectField = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .nullish()
  .openapi({ description: 'The person\'s subject (`sub`) at the programme\'s identity provider, so they can sign in there (needs OIDC_ISSUER)' });
