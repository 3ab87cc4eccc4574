import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The import graph of the repository's own TypeScript files, read with the TypeScript parser (so
 * `import type`, `export … from`, `import('…')` and `typeof import('…')` all count: a type-only
 * import ties two files together as surely as any other), and the two judgements the architecture
 * test makes of it: is there a cycle, and does any import run from a lower floor to a higher one.
 */

/** Files by path relative to the repository root (forward slashes), each with the files it imports. */
export type ImportGraph = Map<string, string[]>;

function listTsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTsFiles(full));
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** Every module specifier a file names, wherever it appears. */
function specifiersOf(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push(node.moduleReference.expression.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      found.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The file a relative specifier names (`./x.js` is `./x.ts` or `./x.tsx` on disk, as NodeNext resolution has it). */
function resolveRelative(fromFile: string, specifier: string): string {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.js$/, '.tsx'), base, `${base}.ts`, path.join(base, 'index.ts')];
  const hit = candidates.find((c) => /\.tsx?$/.test(c) && fs.existsSync(c));
  if (!hit) throw new Error(`${fromFile}: cannot resolve import '${specifier}'`);
  return hit;
}

/** The graph of every .ts file under `dirs` (relative to `root`); packages (bare specifiers) are left out. */
export function importGraph(root: string, dirs: string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  const rel = (file: string) => path.relative(root, file).split(path.sep).join('/');
  for (const dir of dirs) {
    for (const file of listTsFiles(path.join(root, dir))) {
      const targets = specifiersOf(file)
        .filter((s) => s.startsWith('.'))
        .map((s) => rel(resolveRelative(file, s)));
      graph.set(rel(file), [...new Set(targets)].sort());
    }
  }
  return graph;
}

/** One cycle in the graph as a path that ends where it starts, or undefined if the graph has none. */
export function findCycle(graph: ImportGraph): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of [...graph.keys()].sort()) {
    if (state.has(node)) continue;
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The graph with each file replaced by the unit it belongs to (imports inside one unit left out). */
export function unitGraph(graph: ImportGraph, unitOf: (file: string) => string): ImportGraph {
  const units: ImportGraph = new Map();
  for (const [file, targets] of graph) {
    const from = unitOf(file);
    const set = new Set(units.get(from) ?? []);
    for (const target of targets) if (unitOf(target) !== from) set.add(unitOf(target));
    units.set(from, [...set].sort());
  }
  return units;
}

/**
 * Every import that runs upward: from a unit on one floor to a unit on a higher floor. A unit with no
 * floor is reported too, so a new folder is placed deliberately rather than slipping in anywhere.
 */
export function upwardImports(graph: ImportGraph, unitOf: (file: string) => string, floorOf: (unit: string) => number | undefined): string[] {
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    const from = unitOf(file);
    const fromFloor = floorOf(from);
    if (fromFloor === undefined) {
      problems.push(`${file}: its unit ${from} is on no floor`);
      continue;
    }
    for (const target of targets) {
      const to = unitOf(target);
      const toFloor = floorOf(to);
      if (to === from) continue;
      if (toFloor === undefined) problems.push(`${file} imports ${target}, whose unit ${to} is on no floor`);
      else if (toFloor > fromFloor) problems.push(`${file} (floor ${fromFloor}) imports ${target} (floor ${toFloor}): an upward import`);
    }
  }
  return problems;
}
