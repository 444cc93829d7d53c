// Writing a mutant's copy of the project: the sources with its patches applied, beside a link to
// the project's node_modules, and a marker file naming the mutant (what `check` reads to record
// `config.mutant` in the counterexamples it writes there).

import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Mutant } from './types';

/** The project root (the directory holding mutants/). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The marker file at the root of a mutant's copy. */
export const MUTANT_MARKER = '.l4check-mutant';

/** What a copy leaves out: the installed packages (linked instead), git, scratch, outputs, the tests and docs. */
const NOT_COPIED = new Set(['node_modules', '.git', '.tmp', 'counterexamples', 'test', 'docs', MUTANT_MARKER]);

/** Number of times `find` occurs in `text`. */
function occurrences(text: string, find: string): number {
  let n = 0;
  for (let i = text.indexOf(find); i >= 0; i = text.indexOf(find, i + 1)) n++;
  return n;
}

/**
 * The patched text of every file the mutant touches; an Error when a patch does not apply (its
 * text must occur exactly once, so that a mutant keeps meaning what it says as the code moves).
 */
export function mutatedFiles(m: Mutant, root = PROJECT_ROOT): Map<string, string> {
  const out = new Map<string, string>();
  for (const [i, p] of m.patches.entries()) {
    const path = join(root, p.file);
    if (!existsSync(path)) throw new Error(`mutant ${m.name}: patches[${i}]: no file ${p.file}`);
    const text = out.get(p.file) ?? readFileSync(path, 'utf8');
    const n = occurrences(text, p.find);
    if (n !== 1) throw new Error(`mutant ${m.name}: patches[${i}]: the text to replace occurs ${n} times in ${p.file} (expected once)`);
    if (p.find === p.replace) throw new Error(`mutant ${m.name}: patches[${i}]: the replacement is the text itself`);
    out.set(p.file, text.replace(p.find, () => p.replace));
  }
  return out;
}

/** The directory a mutant's copy is written to (under the OS temp directory, one per project). */
export function mutantDir(m: Mutant, root = PROJECT_ROOT): string {
  const project = relative('/', root).replace(/[^A-Za-z0-9]+/g, '-');
  return join(tmpdir(), 'l4check-mutants', project, m.name);
}

/**
 * A copy of the project's sources as they are now, for a whole `l4check mutants` run: each mutant's
 * copy is made from it, so that editing the project while the run goes on changes no mutant.
 */
export function snapshot(root = PROJECT_ROOT): string {
  const dir = join(tmpdir(), 'l4check-mutants', relative('/', root).replace(/[^A-Za-z0-9]+/g, '-'), `.base-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(root)) if (!NOT_COPIED.has(name)) cpSync(join(root, name), join(dir, name), { recursive: true });
  return dir;
}

/**
 * Writes the mutant's copy afresh and returns its root: the sources of `source` (the project, or a
 * snapshot of it) with the patches applied. The counterexamples an earlier check wrote there are
 * kept unless `fresh` (a replay may be reading one of them).
 */
export function materialise(m: Mutant, root = PROJECT_ROOT, fresh = false, dir = mutantDir(m, root), source = root): string {
  const files = mutatedFiles(m, source);
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) if (fresh || name !== 'counterexamples') rmSync(join(dir, name), { recursive: true, force: true });
  for (const name of readdirSync(source)) if (!NOT_COPIED.has(name)) cpSync(join(source, name), join(dir, name), { recursive: true });
  for (const [file, text] of files) writeFileSync(join(dir, file), text);
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, MUTANT_MARKER), m.name + '\n');
  return dir;
}

/** The mutant this copy of the project is (its marker), or undefined in the project itself. */
export function activeMutant(root = PROJECT_ROOT): string | undefined {
  const marker = join(root, MUTANT_MARKER);
  return existsSync(marker) ? readFileSync(marker, 'utf8').trim() : undefined;
}
