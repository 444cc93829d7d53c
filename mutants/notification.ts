// Mutants of the notification area (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

export const NOTIFICATION_MUTANTS: readonly Mutant[] = [
];
