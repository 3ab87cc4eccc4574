import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AssetName } from './assets.js';
import { compressHtml } from './assets.js';
import type { PageDeps, PageEnv } from './env.js';
import { Layout } from './layout.js';

export interface PageOptions {
  title: string;
  status?: ContentfulStatusCode;
  /** Small scripts the page loads (deferred); it must work, if more slowly, before they arrive. */
  scripts?: AssetName[];
  /** The counter's camera: WebAssembly, a worker and the camera's stream are allowed. */
  camera?: boolean;
  printable?: boolean;
}

/**
 * The Content-Security-Policy of every page: only our own scripts, styles and forms; no inline
 * script or style, no frames, no plugins. The camera page alone may compile WebAssembly (the QR
 * decoder) and start a worker.
 */
export function contentSecurityPolicy(camera: boolean): string {
  return [
    "default-src 'none'",
    camera ? "script-src 'self' 'wasm-unsafe-eval'" : "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    ...(camera ? ["worker-src 'self'", "media-src 'self' blob: mediastream:"] : []),
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** Headers every page carries: personal pages are never cached or framed, and never leak a referrer. */
export function pageHeaders(camera: boolean): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(camera),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
    'permissions-policy': camera ? 'camera=(self), microphone=(), geolocation=()' : 'camera=(), microphone=(), geolocation=()',
    vary: 'accept-encoding, accept-language, cookie',
  };
}

/** Renders a page in the shared layout and answers with it, compressed when the browser allows. */
export async function renderPage(c: Context<PageEnv>, deps: PageDeps, options: PageOptions, body: Child): Promise<Response> {
  const page = c.get('page');
  const element = (
    <Layout
      page={page}
      title={options.title}
      programme={deps.config.PROGRAMME_NAME}
      stylesheet={deps.assets.url('app.css')}
      icon={deps.assets.url('icon.svg')}
      scripts={(options.scripts ?? []).map((s) => deps.assets.url(s))}
      printable={options.printable}
    >
      {body}
    </Layout>
  );
  const html = `<!doctype html>${await element.toString()}`;
  const { body: bytes, encoding } = await compressHtml(html, c.req.header('accept-encoding'));
  const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', 'content-language': page.lang, ...pageHeaders(options.camera ?? false) };
  if (encoding) headers['content-encoding'] = encoding;
  headers['content-length'] = String(bytes.length);
  return new Response(bytes, { status: options.status ?? 200, headers });
}

/** After a form post: to the page that shows its result (post, redirect, get). */
export function seeOther(location: string): Response {
  return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } });
}
