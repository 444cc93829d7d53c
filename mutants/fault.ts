// Mutants of the fault area (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

export const FAULT_MUTANTS: readonly Mutant[] = [
];
