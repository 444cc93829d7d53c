// Type-checking a user's invariants file before a run (`--invariants FILE.ts`): tsx runs
// TypeScript without checking it, so a comparison that can never be true (`state.tag === 'Blocked'`)
// would pass silently, every step. The file is checked with the project's compiler options, its
// imports followed; a type error is bad input (one line, exit 2).

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../mutants/apply';
import { UsageError } from './input';

/** The TypeScript compiler's entry, when one can be found (a user's project may not have one). */
function tscPath(): string | undefined {
  for (const from of [join(process.cwd(), 'package.json'), join(PROJECT_ROOT, 'package.json')]) {
    try {
      return join(dirname(createRequire(from).resolve('typescript/package.json')), 'bin', 'tsc');
    } catch {
      // not installed there
    }
  }
  return undefined;
}

/** The first type error of the file (one line), 'no-compiler' when no TypeScript is installed, or undefined when it checks. */
export function typeCheckFile(file: string): string | undefined | 'no-compiler' {
  if (!/\.(ts|mts)$/.test(file)) return undefined;
  const tsc = tscPath();
  if (!tsc) return 'no-compiler';
  const dir = mkdtempSync(join(tmpdir(), 'l4check-tsc-'));
  try {
    const config = join(dir, 'tsconfig.json');
    writeFileSync(config, JSON.stringify({
      extends: join(PROJECT_ROOT, 'tsconfig.json'),
      compilerOptions: { noEmit: true, noUnusedLocals: false, types: ['node'], typeRoots: [join(PROJECT_ROOT, 'node_modules', '@types')] },
      files: [resolve(file)],
      include: [],
    }));
    const r = spawnSync(process.execPath, [tsc, '-p', config], { encoding: 'utf8' });
    if (r.status === 0) return undefined;
    const first = (r.stdout + r.stderr).split('\n').find((l) => /error TS\d+/.test(l)) ?? (r.stdout + r.stderr).trim().split('\n')[0];
    return first.trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** --invariants FILE: a type error is a UsageError; no compiler is a one-line note, and the run goes on. */
export function checkInvariantsTypes(file: string): void {
  const r = typeCheckFile(file);
  if (r === 'no-compiler') process.stderr.write(`l4check: --invariants: ${file} not type-checked (no TypeScript compiler installed)\n`);
  else if (r !== undefined) throw new UsageError(`--invariants: ${file} does not type-check: ${r}`);
}
