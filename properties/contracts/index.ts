// The contract table (DESIGN §4, oracle 2; docs/contracts.md): every row, by area, and the rows
// as invariants (adapter.ts) for the default set of checks (properties/checks.ts).

import type { Invariant } from '../invariants/types';
import { contractInvariant } from './adapter';
import { CNODE_CONTRACTS } from './cnode';
import { CSPACE_CONTRACTS } from './cspace';
import { INTERRUPT_CONTRACTS, IRQ_CONTRACTS, SYSCALL_CONTRACTS } from './other';
import { VSPACE_CONTRACTS } from './vspace';
import { IPC_CONTRACTS } from './ipc';
import { TCB_CONTRACTS } from './tcb';
import type { Contract } from './types';
import { UNTYPED_CONTRACTS } from './untyped';

export type { Contract, MethodContract, SyscallContract, EventContract } from './types';
export { judge, contractInvariant } from './adapter';
export { decodeStep, type Invocation, type SyscallStep, type Decoded } from './decode';

export const CONTRACT_TABLE: readonly Contract[] = [
  ...CNODE_CONTRACTS,
  ...CSPACE_CONTRACTS,
  ...UNTYPED_CONTRACTS,
  ...TCB_CONTRACTS,
  ...IRQ_CONTRACTS,
  ...VSPACE_CONTRACTS,
  ...SYSCALL_CONTRACTS,
  ...INTERRUPT_CONTRACTS,
  ...IPC_CONTRACTS,
];

/** Every contract row as an invariant named `contract-<Method or Syscall>`. */
export const ALL_CONTRACTS: readonly Invariant[] = CONTRACT_TABLE.map(contractInvariant);
