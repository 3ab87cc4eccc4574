import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findCycle, importGraph, unitGraph, upwardImports, type ImportGraph } from './support/imports.js';

/**
 * The layering rule of the code, checked on every test run.
 *
 * A unit is a folder directly under src/ (`ledger/`), a file at src/'s root (`deps.ts`), scripts/lib/,
 * a script at scripts/'s root, or test/. Units stand on floors, lowest first:
 *
 *   0  errors.ts config.ts logger.ts   the error vocabulary, configuration, the root logger
 *   1  db/                              database handle, table types, ids, SQLSTATE mapping, migrator
 *   2  tokens/                          key rings, access tokens, document signing
 *   3  auth/                            the Actor and who a token names (principals)
 *   4  http/                            transport: problem+json, OpenAPI helpers, middleware, paging, metrics
 *   5  ledger/                          the double-entry engine: account ids, ledger_apply, verification, digest
 *   6  writes/                          the shared write path: retry, idempotency, group commit, replay headers
 *   7  deps.ts                          what a service receives
 *   8  the domain modules               org units, people, points, activities, records, packs, redemptions, ...
 *   9  pages/                           the pages people use (/app/): another transport over the domain verbs
 *  10  bootstrap.ts maintenance.ts app.ts main.ts   composition: build the dependencies, mount the routes, serve
 *  11  scripts/lib/                     the load and fault harnesses the scripts share
 *  12  scripts/*.ts                     operator scripts and benchmarks
 *  13  test/
 *
 * The rule: a file may import files of its own unit and of units on its own floor or lower, never
 * higher; and neither the files nor the units may import one another in a cycle. So infrastructure
 * never knows the modules built on it, the domain modules on floor 8 form a tree of dependencies
 * (records uses activities, activities never uses records), and src/ never reaches into scripts/ or
 * test/. Every unit must be on a floor: a new folder is placed here deliberately.
 */
const floors: string[][] = [
  ['src/errors.ts', 'src/config.ts', 'src/logger.ts'],
  ['src/db/'],
  ['src/tokens/'],
  ['src/auth/'],
  ['src/http/'],
  ['src/ledger/'],
  ['src/writes/'],
  ['src/deps.ts'],
  [
    'src/orgunits/',
    'src/people/',
    'src/organisers/',
    'src/volunteers/',
    'src/merchants/',
    'src/points/',
    'src/activitytypes/',
    'src/activities/',
    'src/records/',
    'src/packs/',
    'src/redemptions/',
    'src/settlements/',
    'src/reports/',
    'src/posts/',
    'src/wishes/',
    'src/sessions/',
    'src/system/',
  ],
  ['src/pages/'],
  ['src/bootstrap.ts', 'src/maintenance.ts', 'src/app.ts', 'src/main.ts'],
  ['scripts/lib/'],
  ['scripts/*.ts'],
  ['test/'],
];

/** The unit a file belongs to (see above). */
function unitOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'test') return 'test/';
  if (parts.length === 2) return file;
  return `${parts[0]}/${parts[1]}/`;
}

function floorOf(unit: string): number | undefined {
  const pattern = unit.startsWith('scripts/') && unit.endsWith('.ts') ? 'scripts/*.ts' : unit;
  const floor = floors.findIndex((units) => units.includes(pattern));
  return floor === -1 ? undefined : floor;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const graph: ImportGraph = importGraph(root, ['src', 'scripts', 'test']);

describe('the import graph', () => {
  it('reads the repository: every src file is in it, with its imports', () => {
    expect(graph.get('src/app.ts')).toContain('src/deps.ts');
    expect(graph.get('src/deps.ts')).toContain('src/writes/groups.ts');
    expect([...graph.keys()].filter((f) => f.startsWith('src/')).length).toBeGreaterThan(80);
  });

  it('has no cycle between files', () => {
    expect(findCycle(graph)).toBeUndefined();
  });

  it('has no cycle between units (folders and root files)', () => {
    expect(findCycle(unitGraph(graph, unitOf))).toBeUndefined();
  });

  it('has no import from a lower floor to a higher one, and every unit is on a floor', () => {
    expect(upwardImports(graph, unitOf, floorOf)).toEqual([]);
  });
});

// The checks above pass only if they can fail: the same functions, on graphs that break the rule.
describe('the checks themselves', () => {
  const broken: ImportGraph = new Map([
    ['src/db/database.ts', ['src/errors.ts']],
    ['src/errors.ts', ['src/http/problem.ts']],
    ['src/http/problem.ts', ['src/db/database.ts']],
    ['src/ledger/apply.ts', ['src/writes/groups.ts', 'src/nowhere/x.ts']],
    ['src/writes/groups.ts', ['src/ledger/apply.ts']],
  ]);

  it('find a cycle between files and between units', () => {
    expect(findCycle(broken)).toEqual(['src/db/database.ts', 'src/errors.ts', 'src/http/problem.ts', 'src/db/database.ts']);
    expect(findCycle(unitGraph(new Map([...broken].slice(3)), unitOf))).toEqual(['src/ledger/', 'src/writes/', 'src/ledger/']);
    expect(findCycle(new Map([['a.ts', ['b.ts']], ['b.ts', []]]))).toBeUndefined();
  });

  it('name every upward import and every unit on no floor', () => {
    expect(upwardImports(broken, unitOf, floorOf)).toEqual([
      'src/errors.ts (floor 0) imports src/http/problem.ts (floor 4): an upward import',
      'src/ledger/apply.ts (floor 5) imports src/writes/groups.ts (floor 6): an upward import',
      'src/ledger/apply.ts imports src/nowhere/x.ts, whose unit src/nowhere/ is on no floor',
    ]);
  });
});
