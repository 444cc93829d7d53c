/**
 * Source size of each layer: non-blank lines that are not only a comment, excluding tests.
 * `npx tsx bench/sloc.ts` prints the two tables recorded in docs/sizes.md: per layer, and the
 * model's kernels in the seed talk's units (kSLOC) for the table beside the seed's.
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

const LAYERS: [string, string][] = [
  ['abi', 'syscalls, errors, invocation table, trace files'],
  ['spec', 'the abstract kernel'],
  ['machine', 'CPU, memory, MMU, TLB, interrupts, counters'],
  ['impl', 'the concrete kernel'],
  ['refinement', 'abstraction, diff, checker'],
  ['properties', 'replay, generators, invariants, check, conform'],
  ['cli', 'the command line'],
];

const n = (x: number) => x.toLocaleString('en');
const k = (x: number) => (x / 1000).toFixed(1);
const size = new Map<string, { files: number; lines: number }>();
for (const [l] of LAYERS) {
  const fs = files(l);
  size.set(l, { files: fs.length, lines: fs.reduce((acc, f) => acc + sloc(readFileSync(f, 'utf8')), 0) });
}
const total = [...size.values()].reduce((a, b) => ({ files: a.files + b.files, lines: a.lines + b.lines }), { files: 0, lines: 0 });
console.log('| layer | files | lines |\n|---|---|---|');
for (const [l, what] of LAYERS) console.log(`| ${l}/ (${what}) | ${size.get(l)!.files} | ${n(size.get(l)!.lines)} |`);
console.log(`| total | ${total.files} | ${n(total.lines)} |`);
console.log('');
console.log('| name | architecture | C/C++ or TypeScript (kSLOC) | asm (kSLOC) | total kSLOC |\n|---|---|---|---|---|');
const spec = size.get('spec')!.lines;
const concrete = size.get('impl')!.lines + size.get('machine')!.lines;
console.log(`| l4check spec/ (abstract kernel) | — (a model) | ${k(spec)} | 0 | ${k(spec)} |`);
console.log(`| l4check impl/ + machine/ (concrete kernel and its machine) | aarch32 (modeled) | ${k(concrete)} | 0 | ${k(concrete)} |`);
