// Mutants of the packing area (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

export const PACKING_MUTANTS: readonly Mutant[] = [
];
