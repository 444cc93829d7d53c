/**
 * Source size of each layer: non-blank lines that are not only a comment, excluding tests.
 * `npx tsx bench/sloc.ts` prints the table recorded in docs/sizes.md.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Lines of code: not blank, not inside or only a comment. */
export function sloc(text: string): number {
  let n = 0;
  let inBlock = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (inBlock) {
      if (line.includes('*/')) inBlock = false;
      continue;
    }
    if (line === '' || line.startsWith('//')) continue;
    if (line.startsWith('/*')) {
      if (!line.includes('*/')) inBlock = true;
      continue;
    }
    n++;
  }
  return n;
}

const layers = ['abi', 'spec', 'machine', 'impl', 'refinement', 'properties', 'cli'];
for (const l of layers) {
  const fs = files(l);
  console.log(`| ${l}/ | ${fs.length} | ${fs.reduce((n, f) => n + sloc(readFileSync(f, 'utf8')), 0)} |`);
}
