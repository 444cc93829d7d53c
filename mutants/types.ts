// A mutant: a deliberate kernel slip, a few lines of one or both kernels, used to measure whether
// the checks (refinement, invariants, contracts, the regression corpus) catch it — the mutation
// score (docs/mutants.md). A mutant is data: text patches of the sources. It exists only in a
// copy of the project that `l4check mutants` (or `replay --allow-mutant`) writes and runs; the
// project's own sources never contain one, so no normal run can have one active.

/** impl: the concrete kernel only (refinement should see it); spec: the abstract kernel only;
 * both: one wrong idea of seL4 written the same way into both kernels (a design bug). */
export type MutantClass = 'impl' | 'spec' | 'both';

export const MUTANT_CLASSES: readonly MutantClass[] = ['impl', 'spec', 'both'];

export type MutantArea =
  | 'ipc' | 'notification' | 'cspace' | 'untyped' | 'scheduler' | 'vspace' | 'fault' | 'irq'
  /** impl only: packed fields and the intrusive list links of the concrete kernel. */
  | 'packing' | 'lists';

/** Replace the one occurrence of `find` in `file` (a path from the project root) by `replace`. */
export interface Patch {
  file: string;
  find: string;
  replace: string;
}

export interface Mutant {
  /** kebab-case, unique; `config.mutant` of a trace names it. */
  name: string;
  class: MutantClass;
  area: MutantArea;
  /** The slip, in one sentence: what a kernel engineer got wrong. */
  doc: string;
  patches: readonly Patch[];
}
