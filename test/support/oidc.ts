import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

/**
 * A real OpenID Connect provider (oidc-provider, the certified implementation) on a loopback port,
 * with its development login screens: any login name signs in as that subject. Two clients: the
 * service ('jifen', confidential, PKCE) and a command-line client ('cli') that gets access tokens
 * for the jifen API, signed with RS256 as JWTs (RFC 9068).
 */
export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  audience: string;
  cli: { clientId: string; clientSecret: string; redirectUri: string };
  close(): Promise<void>;
}

export const apiResource = 'urn:jifen:api';

export async function startProvider(jifenCallback: string, options: { port?: number } = {}): Promise<TestProvider> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  // A fresh key (and kid) each start, as a provider rotating its keys would have.
  const jwk = { ...(await exportJWK(privateKey)), kid: `test-rs256-${Date.now()}-${Math.random().toString(36).slice(2)}`, alg: 'RS256', use: 'sig' };
  const server: Server = await new Promise((resolve) => {
    // Listen first to learn the port: the issuer must name it.
    const s = createServer();
    s.listen(options.port ?? 0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const cli = { clientId: 'cli', clientSecret: 'cli-secret-for-tests-only-0123456789', redirectUri: 'http://127.0.0.1:9/cli-callback' };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'jifen',
        client_secret: 'jifen-secret-for-tests-only-0123456789',
        redirect_uris: [jifenCallback],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
      {
        client_id: cli.clientId,
        client_secret: cli.clientSecret,
        redirect_uris: [cli.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ['oidc-test-cookie-key'] },
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    features: {
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => apiResource,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'api', audience: 'jifen-api', accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
      },
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    clientId: 'jifen',
    clientSecret: 'jifen-secret-for-tests-only-0123456789',
    audience: 'jifen-api',
    cli,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A browser without a screen: follows redirects, keeps cookies per host, and fills in the provider's
 * development login and consent forms. `hostMap` sends requests for one origin to another (the
 * service's PUBLIC_URL to where the test serves it).
 */
export class TestBrowser {
  private readonly jars = new Map<string, Map<string, string>>();

  constructor(
    private readonly hostMap: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
  ) {}

  cookie(origin: string, name: string): string | undefined {
    return this.jars.get(new URL(origin).host)?.get(name);
  }

  setCookie(origin: string, name: string, value: string): void {
    const host = new URL(origin).host;
    const jar = this.jars.get(host) ?? new Map<string, string>();
    jar.set(name, value);
    this.jars.set(host, jar);
  }

  private map(url: string): string {
    for (const [from, to] of Object.entries(this.hostMap)) if (url.startsWith(from)) return to + url.slice(from.length);
    return url;
  }

  async request(method: string, url: string, body?: URLSearchParams, extra: Record<string, string> = {}): Promise<Response> {
    const target = new URL(this.map(url));
    const jar = this.jars.get(target.host) ?? new Map<string, string>();
    this.jars.set(target.host, jar);
    const headers: Record<string, string> = { ...this.headers, ...extra };
    if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(target, { method, headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && new Date(a.split('=')[1]!).getTime() < Date.now()));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  }

  /**
   * Goes to `url` and on, through redirects and the provider's forms (logging in as `login`),
   * until a page that is neither, or a redirect to `stopAt`. Returns the last response and its URL.
   */
  async visit(url: string, login: string, stopAt?: string): Promise<{ res: Response; url: string; body: string }> {
    let current = url;
    let method = 'GET';
    let form: URLSearchParams | undefined;
    for (let step = 0; step < 20; step += 1) {
      const res = await this.request(method, current, form);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        const next = new URL(location, current).href;
        if (stopAt && next.startsWith(stopAt)) return { res, url: next, body: '' };
        current = next;
        method = 'GET';
        form = undefined;
        continue;
      }
      const body = await res.text();
      const action = /<form[^>]*action="([^"]+)"[^>]*method="post"/i.exec(body)?.[1];
      if (res.status === 200 && action && /name="prompt"/.test(body)) {
        form = new URLSearchParams();
        for (const [, name, value] of body.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) form.set(name!, value!);
        if (/name="login"/.test(body)) {
          form.set('login', login);
          form.set('password', 'any');
        }
        current = new URL(action.replace(/&amp;/g, '&'), current).href;
        method = 'POST';
        continue;
      }
      return { res, url: current, body };
    }
    throw new Error(`too many steps visiting ${url}`);
  }
}
