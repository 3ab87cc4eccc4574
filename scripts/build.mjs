/**
 * npm run build: compiles the service and its operator scripts to JavaScript in dist/ (what the
 * container image runs, with no TypeScript tooling at run time) and copies beside them every file
 * under src/ that is not TypeScript (page styles, scripts, images, templates), so code that reads an
 * asset next to itself finds it in dist/ as it does in src/.
 *
 *   npm run build            -> dist/src/main.js, dist/scripts/token.js, ...
 *
 * Plain JavaScript on purpose: building needs only Node and the TypeScript compiler.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist');

/** TypeScript sources (tsc compiles them); everything else under src/ is an asset to copy. */
const isTypeScript = (name) => /\.(ts|tsx|mts|cts)$/.test(name);

function copyAssets(fromDir, toDir) {
  let copied = 0;
  for (const entry of fs.readdirSync(fromDir, { withFileTypes: true })) {
    const from = path.join(fromDir, entry.name);
    const to = path.join(toDir, entry.name);
    if (entry.isDirectory()) {
      copied += copyAssets(from, to);
    } else if (entry.isFile() && !isTypeScript(entry.name)) {
      fs.mkdirSync(toDir, { recursive: true });
      fs.copyFileSync(from, to);
      copied += 1;
    }
  }
  return copied;
}

// A clean output: a source file deleted or renamed must not live on as stale JavaScript.
fs.rmSync(outDir, { recursive: true, force: true });
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (compiled.status !== 0) {
  process.stderr.write(`build: tsc failed (exit ${compiled.status ?? compiled.signal})\n`);
  process.exit(1);
}
const assets = copyAssets(path.join(root, 'src'), path.join(outDir, 'src'));
process.stdout.write(`build: compiled to ${path.relative(process.cwd(), outDir) || '.'}/ (${assets} asset${assets === 1 ? '' : 's'} copied from src/)\n`);
