import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';

/**
 * Hostile input: drives every operation in the OpenAPI document with generated invalid and edge-case
 * requests — wrong types, huge numbers, unicode, empty and oversized bodies, unknown fields, bad
 * paths and methods — as an admin (the caller with the most reach). Nothing may answer 5xx, every
 * error must be problem+json, and nothing may be written. The operations come from the document, so
 * a new route is fuzzed without anyone remembering to add it.
 */

let app: TestApp;
let f: Factory;
let doc: any;

// A database of its own, so that "nothing was written" is not blurred by other test files' writes.
useTestApp({ env: { BODY_LIMIT_BYTES: '65536' }, scratch: true, ledgerSound: true }, (started) => ({ app, f } = started));
beforeAll(async () => {
  doc = (await app.request('GET', '/openapi.json')).body;
});

let seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
function random(): number {
  // mulberry32: small, fast and replayable from the printed seed.
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

const hostileValues: unknown[] = [
  null,
  true,
  -1,
  0,
  1.5,
  1e308,
  -1e308,
  2 ** 53,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  ' ',
  '0',
  '-1',
  'NaN',
  '1e309',
  '𝕛𝕚𝕗𝕖𝕟 积分 🎉',
  '\u0000',
  '\u202e',
  "'; drop table accounts; --",
  '../../etc/passwd',
  'x'.repeat(5000),
  '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f',
  '2026-02-30T25:61:00Z',
  [],
  [1, 2, 3],
  {},
  { nested: { deeper: ['x'] } },
];

const badIds = ['not-a-uuid', '0', '%00', '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f', 'ffffffff-ffff-ffff-ffff-ffffffffffff', "1' or '1'='1", '𝕛'];

/** Property names a body schema declares, followed through $ref. */
function bodyProperties(operation: any): string[] {
  const schema = operation.requestBody?.content?.['application/json']?.schema;
  const resolved = schema?.$ref ? doc.components.schemas[schema.$ref.split('/').pop()] : schema;
  return Object.keys(resolved?.properties ?? {});
}

function fillPath(path: string, value: () => string): string {
  return path.replace(/\{[^}]+\}/g, () => encodeURIComponent(value()));
}

async function snapshot() {
  const counts = await sql<{ t: number; p: number; a: number; v: number; o: number; m: number }>`
    select (select count(*) from ledger_transactions)::bigint as t,
           (select count(*) from ledger_postings)::bigint as p,
           (select coalesce(sum(balance), 0) from accounts where kind = 'volunteer')::bigint as a,
           (select count(*) from volunteers)::bigint as v,
           (select count(*) from org_units)::bigint as o,
           (select count(*) from merchants)::bigint as m`.execute(app.deps.db);
  return counts.rows[0];
}

interface Sent {
  method: string;
  path: string;
  status: number;
  type: string | null;
  body: any;
}

const failures: Sent[] = [];

async function send(method: string, path: string, init: { body?: string; contentType?: string; token?: string } = {}): Promise<Sent> {
  const before = method === 'GET' ? undefined : await snapshot();
  const headers: Record<string, string> = { 'idempotency-key': `fuzz-${Math.floor(random() * 1e12)}` };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  const res = await fetch(`${app.baseUrl}${path}`, { method, headers, body: init.body });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON; judged below
  }
  const sent = { method, path, status: res.status, type: res.headers.get('content-type'), body };
  if (res.status >= 500 || (res.status >= 400 && !(sent.type ?? '').startsWith('application/problem+json'))) failures.push(sent);
  // A refused request must leave no trace. (A generated request can happen to be valid; then it may write.)
  if (before && res.status >= 400) {
    const after = await snapshot();
    if (JSON.stringify(after) !== JSON.stringify(before)) failures.push({ ...sent, body: { wroteDespite: res.status, before, after } });
  }
  return sent;
}

describe('hostile input', () => {
  it('never yields a 5xx or a non-problem error, and writes nothing', async () => {
    process.stdout.write(`fuzz seed: ${seed}\n`);
    const operations: { method: string; path: string; op: any }[] = [];
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) operations.push({ method: method.toUpperCase(), path, op });
    }
    expect(operations.length).toBeGreaterThan(10);
    for (const { method, path, op } of operations) {
      const props = bodyProperties(op);
      const idPath = () => fillPath(path, () => pick(badIds));
      if (path.startsWith('/v1/')) {
        await send(method, idPath());
        await send(method, idPath(), { token: 'not.a.token' });
      }
      for (let round = 0; method !== 'GET' && round < 6; round++) {
        // A body of the right shape with one field made hostile, plus an unknown field now and then.
        const body: Record<string, unknown> = {};
        for (const p of props) body[p] = pick(hostileValues);
        if (round % 2 === 1) body[`unexpected_${round}`] = pick(hostileValues);
        await send(method, idPath(), { body: JSON.stringify(body), token: f.adminToken });
      }
      if (method === 'POST') {
        await send(method, idPath(), { body: '', token: f.adminToken });
        await send(method, idPath(), { body: '{"unterminated": ', token: f.adminToken });
        await send(method, idPath(), { body: JSON.stringify(pick(hostileValues)), token: f.adminToken });
        await send(method, idPath(), { body: JSON.stringify({ padding: 'x'.repeat(70_000) }), token: f.adminToken });
        await send(method, idPath(), { body: 'a=1', contentType: 'application/x-www-form-urlencoded', token: f.adminToken });
      }
      // Hostile query strings on every operation.
      const query = ['limit=-1', 'limit=1e309', 'limit=abc', 'cursor=%FF%FE', `cursor=${'A'.repeat(500)}`, 'from=yesterday', 'orgUnitId=../', 'status=%00'];
      await send(method, `${idPath()}?${pick(query)}&${pick(query)}`, { token: f.adminToken });
    }
    // Paths and methods nobody declared.
    for (const method of ['PUT', 'PATCH', 'DELETE', 'OPTIONS']) await send(method, '/v1/awards', { token: f.adminToken });
    for (const path of ['/v1', '/v1/', '/v1/awards/extra', '/%2e%2e/etc', '/v1/volunteers//balance', `/v1/${'a'.repeat(3000)}`]) await send('GET', path, { token: f.adminToken });

    expect(failures.map((s) => `${s.method} ${s.path.slice(0, 120)} -> ${s.status} ${s.type} ${JSON.stringify(s.body).slice(0, 300)}`)).toEqual([]);
  }, 240_000);
});
