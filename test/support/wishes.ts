import { expect } from 'vitest';
import type { TestApp } from './app.js';
import type { Factory } from './factories.js';

let counter = 0;

/** A wish category with a fresh code. */
export async function category(app: TestApp, f: Factory, points = 20, name = '上门维修'): Promise<{ id: string; code: string; name: string; points: number }> {
  const code = `w${process.pid}-${Date.now()}-${++counter}`;
  const res = await app.request('POST', '/v1/wish-categories', { token: f.adminToken, body: { code, name, points } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/**
 * A community with two grids, an organiser for it, and volunteers registered in the grids: the
 * shape every wish test starts from. The community sits at depth 3 (district, street, community),
 * the default community depth.
 */
export async function neighbourhood(app: TestApp, f: Factory, volunteers = 3) {
  const { district, streetA, streetB, community } = await f.tree();
  const gridA = await f.orgUnit(community.id);
  const gridB = await f.orgUnit(community.id);
  const organiser = await f.organiser(community.id);
  const organiserToken = await app.token('organiser', organiser.id);
  const people = [];
  for (let i = 0; i < volunteers; i++) {
    const v = await f.volunteer(i % 2 === 0 ? gridA.id : gridB.id, { phone: `1390000${String(1000 + i).slice(-4)}` });
    people.push({ ...v, token: await app.token('volunteer', v.id) });
  }
  return { district, streetA, streetB, community, gridA, gridB, organiser, organiserToken, volunteers: people };
}

export async function postWish(app: TestApp, token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await app.request('POST', '/v1/wishes', { token, body, headers });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** POST /v1/wishes/{id}/{action}, with or without a body. */
export function move(app: TestApp, token: string, id: string, action: string, body?: unknown, headers: Record<string, string> = {}) {
  return app.request('POST', `/v1/wishes/${id}/${action}`, { token, ...(body === undefined ? {} : { body }), headers });
}

export async function moveOk(app: TestApp, token: string, id: string, action: string, body?: unknown) {
  const res = await move(app, token, id, action, body);
  expect(res.status, `${action}: ${JSON.stringify(res.body)}`).toBe(200);
  return res.body;
}
