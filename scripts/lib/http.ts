/**
 * The small HTTP client the load and fault scripts share. It speaks only the service's public HTTP
 * contract, so the same scripts can be pointed at any deployment. A request that gets no answer
 * (connection refused or reset, or no response within the timeout) comes back as status 0 with the
 * reason, never as a thrown error: under fault injection "no answer" is an outcome to count.
 */

export type Json = Record<string, unknown>;

export interface Reply<T = Json> {
  /** HTTP status, or 0 when no response arrived. */
  status: number;
  body: T;
  headers: Headers;
  /** Why no response arrived (status 0 only). */
  error?: string;
  /** Wall time from send to the end of the body. */
  ms: number;
}

export interface CallOptions {
  token?: string | undefined;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export async function call<T = Json>(baseUrl: string, method: string, urlPath: string, options: CallOptions = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const started = performance.now();
  try {
    const res = await fetch(`${baseUrl}${urlPath}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
    });
    const text = await res.text();
    let body: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: res.status, body: body as T, headers: res.headers, ms: performance.now() - started };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const reason = cause?.code ?? (error instanceof Error ? error.name : String(error));
    return { status: 0, body: {} as T, headers: new Headers(), error: reason, ms: performance.now() - started };
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The problem code of an error reply, or '' when there is none. */
export function codeOf(reply: Reply<unknown>): string {
  const body = reply.body as { code?: unknown } | undefined;
  return typeof body?.code === 'string' ? body.code : '';
}

/** "201", "409 insufficient_points", "0 ECONNREFUSED": one label per kind of outcome, for counting. */
export function outcomeLabel(reply: Reply<unknown>): string {
  if (reply.status === 0) return `0 ${reply.error ?? 'no answer'}`;
  const code = codeOf(reply);
  return code && reply.status >= 300 ? `${reply.status} ${code}` : String(reply.status);
}
