// The one registry of mutants (docs/mutants.md). Nothing here is ever active in a normal run: a
// mutant exists only in the copy of the project that apply.ts writes.

import { CSPACE_MUTANTS } from './cspace';
import { FAULT_MUTANTS } from './fault';
import { IPC_MUTANTS } from './ipc';
import { IRQ_MUTANTS } from './irq';
import { LISTS_MUTANTS } from './lists';
import { NOTIFICATION_MUTANTS } from './notification';
import { PACKING_MUTANTS } from './packing';
import { SCHEDULER_MUTANTS } from './scheduler';
import { UNTYPED_MUTANTS } from './untyped';
import { VSPACE_MUTANTS } from './vspace';
import type { Mutant, MutantClass } from './types';
import { PROJECT_ROOT, mutatedFiles } from './apply';

export * from './types';
export { MUTANT_MARKER, PROJECT_ROOT, activeMutant, materialise, mutantDir, mutatedFiles, snapshot } from './apply';

export const MUTANTS: readonly Mutant[] = [
  ...IPC_MUTANTS, ...NOTIFICATION_MUTANTS, ...CSPACE_MUTANTS, ...UNTYPED_MUTANTS, ...SCHEDULER_MUTANTS,
  ...VSPACE_MUTANTS, ...FAULT_MUTANTS, ...IRQ_MUTANTS, ...PACKING_MUTANTS, ...LISTS_MUTANTS,
];

export function mutantByName(name: string): Mutant | undefined {
  return MUTANTS.find((m) => m.name === name);
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** The class a mutant's patches make it: which kernels' directories they touch. */
export function classOfPatches(m: Mutant): MutantClass | undefined {
  const spec = m.patches.some((p) => p.file.startsWith('spec/'));
  const impl = m.patches.some((p) => p.file.startsWith('impl/') || p.file.startsWith('machine/'));
  const other = m.patches.some((p) => !/^(spec|impl|machine)\//.test(p.file));
  if (other) return undefined;
  return spec && impl ? 'both' : spec ? 'spec' : impl ? 'impl' : undefined;
}

/** What is wrong with the registry (empty when nothing): names, classes, and whether every patch applies. */
export function registryProblems(list: readonly Mutant[] = MUTANTS, root = PROJECT_ROOT): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const m of list) {
    if (!NAME.test(m.name)) problems.push(`${m.name}: the name is not kebab-case`);
    if (seen.has(m.name)) problems.push(`${m.name}: the name is taken twice`);
    seen.add(m.name);
    if (m.patches.length === 0) problems.push(`${m.name}: no patches`);
    const cls = classOfPatches(m);
    if (cls !== m.class) problems.push(`${m.name}: declared ${m.class}, but its patches make it ${cls ?? 'neither kernel'}`);
    try {
      mutatedFiles(m, root);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return problems;
}
