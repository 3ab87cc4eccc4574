import { describe, expect, it } from 'vitest';
import { problemBody } from '../src/http/problem.js';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';

let app: TestApp;
let f: Factory;

useTestApp({}, (started) => ({ app, f } = started));

describe('problem documents', () => {
  it('never let an extension replace an RFC 9457 member, our code or the request id', () => {
    const body = problemBody('token_already_used', 'used', 'req-1', { status: 'cancelled', type: 'x', title: 'x', detail: 'x', instance: 'x', code: 'x', requestId: 'x', extra: 1 });
    expect(body).toEqual({ type: 'urn:jifen:problem:token_already_used', title: 'Redemption token already used', status: 409, detail: 'used', code: 'token_already_used', requestId: 'req-1', extra: 1 });
  });
});
