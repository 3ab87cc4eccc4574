import type { Logger } from '../logger.js';
import type { Actor } from '../auth/actor.js';

/** What middleware puts on the Hono context for the handlers after it. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    actor: Actor;
  };
}
