import type { Logger } from '../logger.js';
import type { Actor } from '../auth/actor.js';

/** What middleware puts on the Hono context for the handlers after it. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** The request's logger (a pino child carrying the request id), made on first use. */
    log: () => Logger;
    actor: Actor;
    /** The browser session the request was authenticated by (absent for bearer tokens). */
    session?: { id: string; expiresAt: Date };
  };
}
