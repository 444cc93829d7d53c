// The default set of checks of every checked run (`check`, `replay --check`, `regress`,
// `conform`): every invariant, then every contract. One place, so that a new group joins all
// the commands at once.

import { ALL_CONTRACTS } from './contracts';
import { ALL_INVARIANTS } from './invariants/all';
import type { Invariant } from './invariants/types';

export const ALL_CHECKS: readonly Invariant[] = [...ALL_INVARIANTS, ...ALL_CONTRACTS];
