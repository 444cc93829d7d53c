// Mutants of the scheduler area (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

export const SCHEDULER_MUTANTS: readonly Mutant[] = [
];
