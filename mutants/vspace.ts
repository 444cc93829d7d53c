// Mutants of the vspace area (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

export const VSPACE_MUTANTS: readonly Mutant[] = [
];
