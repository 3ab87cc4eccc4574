/**
 * The service's one error vocabulary. Services throw DomainError with a stable machine code; the
 * HTTP layer turns it into RFC 9457 problem+json. Nothing here knows about HTTP beyond the status
 * each code maps to, so a script calling a service sees the same codes as an HTTP client.
 */
export const errorCatalogue = {
  validation_failed: { status: 400, title: 'Request validation failed' },
  unauthorized: { status: 401, title: 'Authentication required' },
  sign_in_code_invalid: { status: 401, title: 'Sign-in code not valid' },
  forbidden: { status: 403, title: 'Not allowed' },
  token_wrong_merchant: { status: 403, title: 'Redemption token belongs to another merchant' },
  csrf_refused: { status: 403, title: 'Request did not come from this service\'s own pages' },
  identity_not_linked: { status: 403, title: 'Sign-in identity not linked to anyone here' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict with current state' },
  insufficient_points: { status: 409, title: 'Insufficient points' },
  out_of_stock: { status: 409, title: 'Out of stock' },
  limit_reached: { status: 409, title: 'Per-volunteer limit reached' },
  pack_unavailable: { status: 409, title: 'Pack not available' },
  already_reversed: { status: 409, title: 'Transaction already reversed' },
  idempotency_in_progress: { status: 409, title: 'A request with this Idempotency-Key is in progress' },
  token_already_used: { status: 409, title: 'Redemption token already used' },
  capacity_reached: { status: 409, title: 'Activity is full' },
  inactive: { status: 409, title: 'Resource is inactive' },
  already_taken: { status: 409, title: 'Wish already taken' },
  invalid_transition: { status: 409, title: 'Not possible in the wish\'s current state' },
  post_holder_window: { status: 409, title: 'Wish offered to post holders first' },
  token_expired: { status: 410, title: 'Redemption token expired' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  idempotency_key_reused: { status: 422, title: 'Idempotency-Key reused with a different request' },
  token_invalid: { status: 422, title: 'Redemption token invalid' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal server error' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export interface FieldError {
  path: string;
  message: string;
}

export class DomainError extends Error {
  override name = 'DomainError';
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    detail?: string,
    /** Extra machine-readable members of the problem document, e.g. `balance` and `required`. */
    readonly extensions: Record<string, unknown> = {},
    /** Seconds, for 429 and 503 answers that should tell the client when to come back. */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail ?? errorCatalogue[code].title);
    this.status = errorCatalogue[code].status;
  }
}

export const notFound = (what: string) => new DomainError('not_found', `${what} not found`);
export const forbidden = (detail = 'your role may not do this') => new DomainError('forbidden', detail);

export function validationFailed(errors: FieldError[], detail?: string): DomainError {
  return new DomainError(
    'validation_failed',
    detail ?? `${errors.length} field${errors.length === 1 ? '' : 's'} failed validation: ${errors.map((e) => e.path || '(body)').join(', ')}`,
    { errors },
  );
}
