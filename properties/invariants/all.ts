// The list of every invariant, in a module of its own: properties/checks.ts builds the default
// set of checks from it at load time, and must not import the index (whose run.ts imports replay,
// which imports the checks).

import type { Invariant } from './types';
import { CAPABILITY_INVARIANTS } from './capability';
import { MESSAGE_INVARIANTS } from './messages';
import { REFERENCE_INVARIANTS } from './references';
import { SCHEDULER_INVARIANTS } from './scheduler';
import { STRUCTURAL_INVARIANTS } from './structural';

/** Every invariant, cheapest groups first (structural, references, capability, scheduler, messages). */
export const ALL_INVARIANTS: readonly Invariant[] = [
  ...STRUCTURAL_INVARIANTS,
  ...REFERENCE_INVARIANTS,
  ...CAPABILITY_INVARIANTS,
  ...SCHEDULER_INVARIANTS,
  ...MESSAGE_INVARIANTS,
];
