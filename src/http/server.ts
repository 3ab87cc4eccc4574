import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { baselineSecurityHeaders, hasCredentials } from './security.js';

export interface ServeOptions {
  port: number;
  hostname: string;
  /** The public address is https: browsers are told to keep to it (HSTS). */
  https: boolean;
}

interface App {
  fetch: Parameters<typeof serve>[0]['fetch'];
}

/**
 * Serves the app over HTTP with the security headers every answer carries (nosniff, the
 * Content-Security-Policy and framing refusal, the referrer policy, HSTS over https) and
 * `Cache-Control: no-store` on answers to requests that carry credentials.
 *
 * They are set on Node's response before the app runs rather than by a hono middleware: a header a
 * middleware sets takes hono's and @hono/node-server's fast path away from every answer (a web
 * Headers object is built, filled and copied again), which cost a quarter of the balance reads'
 * throughput. Node merges these with the answer's own headers, and the answer's win, so an answer
 * that may be cached says so itself. The pages under /app/ set their own policies.
 */
export function serveApp(app: App, options: ServeOptions, onListening?: (info: AddressInfo) => void): ServerType {
  const always = Object.entries({
    ...baselineSecurityHeaders,
    ...(options.https ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  });
  return serve(
    {
      fetch: app.fetch,
      port: options.port,
      hostname: options.hostname,
      createServer: ((serverOptions: object, listener: (req: IncomingMessage, res: ServerResponse) => void) =>
        createServer(serverOptions, (req, res) => {
          if (isPageUrl(req.url ?? '')) {
            // The pages and their files set their own policies (a stricter page policy, and the
            // camera's worker script must carry the camera page's policy, not this one).
            res.setHeader('x-content-type-options', 'nosniff');
          } else {
            for (const [name, value] of always) res.setHeader(name, value);
            if (hasCredentials(req.headers.authorization, req.headers.cookie)) res.setHeader('cache-control', 'no-store');
          }
          listener(req, res);
        })) as unknown as typeof createServer,
    },
    onListening,
  );
}

/** The pages people use live under /app/ (and /app itself redirects there). */
export function isPageUrl(url: string): boolean {
  return url === '/app' || url.startsWith('/app/') || url.startsWith('/app?');
}
