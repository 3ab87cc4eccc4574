import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The repository documents itself: a clone has to be enough. No tracked file may point at material
 * outside it (a sibling folder of reference notes that a clone does not have) or cite that material
 * by its name; the project's own words live in docs/.
 */

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

// Spelled in pieces so that this file does not match itself.
const forbidden: { what: string; pattern: RegExp }[] = [
  { what: 'a path into a sibling "shared" folder', pattern: new RegExp(['\\.\\.', '/shared\\b'].join('')) },
  { what: 'an absolute path to the reference folder', pattern: new RegExp(['/work', '/shared\\b'].join('')) },
  { what: 'a citation of the outside reference document', pattern: new RegExp(['\\bSP', 'EC\\b'].join('')) },
];

/** Folders that are never tracked: installed packages, build output, local data. */
const untracked = new Set(['.git', 'node_modules', 'dist', 'data', 'demo-data', 'coverage', 'bench-results']);

function trackedFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' }).split('\0').filter(Boolean);
  } catch {
    // Not a git checkout (an unpacked archive): every file outside the untracked folders.
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(path.join(repoRoot, dir), { withFileTypes: true })) {
        const relative = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!untracked.has(entry.name)) walk(relative);
        } else if (entry.isFile()) files.push(relative);
      }
    };
    walk('');
    return files;
  }
}

describe('the repository', () => {
  it('has no file that points outside it or cites outside documents', () => {
    const files = trackedFiles();
    expect(files.length).toBeGreaterThan(50);
    expect(files).toContain('README.md');
    const found: string[] = [];
    for (const file of files) {
      const absolute = path.join(repoRoot, file);
      if (!fs.existsSync(absolute)) continue; // deleted in the working tree, not yet committed
      const bytes = fs.readFileSync(absolute);
      if (bytes.includes(0)) continue; // binary
      const lines = bytes.toString('utf8').split('\n');
      lines.forEach((line, i) => {
        for (const { what, pattern } of forbidden) if (pattern.test(line)) found.push(`${file}:${i + 1}: ${what}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(found, `describe it in docs/ in the project's own words instead:\n${found.join('\n')}`).toEqual([]);
  });
});
