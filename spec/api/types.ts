// The kernel's own value types: capabilities, thread states, scheduler actions
// (l4v spec/abstract/Structures_A.thy, SEL4/Object/Structures.lhs).

import type { CapRights } from '../../abi/rights';
import type { FrameSize } from '../../abi/objecttype';
import type { SyscallError } from './failures';

export type PPtr = number;

export type VMRights = 'VMNoAccess' | 'VMKernelOnly' | 'VMReadOnly' | 'VMReadWrite';

/** Where a frame or page-table cap is mapped (seL4 keeps it in the cap). */
export interface VMMapping {
  asid: number;
  vaddr: number;
}

export type Cap =
  | { tag: 'NullCap' }
  /** freeIndex: bytes used from the start of the region (seL4's free index, in bytes). */
  | { tag: 'UntypedCap'; ptr: PPtr; sizeBits: number; freeIndex: number; isDevice: boolean }
  | { tag: 'EndpointCap'; ptr: PPtr; badge: number; rights: CapRights }
  | { tag: 'NotificationCap'; ptr: PPtr; badge: number; rights: CapRights }
  /** tcb: the thread the reply goes to; master: the TCB's own reply slot cap. */
  | { tag: 'ReplyCap'; tcb: PPtr; master: boolean; canGrant: boolean }
  | { tag: 'CNodeCap'; ptr: PPtr; radix: number; guardSize: number; guard: number }
  | { tag: 'ThreadCap'; ptr: PPtr }
  /**
   * seL4's Zombie: the last cap to a CNode or TCB that is being finalised. `ptr` is the object's
   * first slot, `number` how many slots from it are still to be emptied. It cannot be invoked,
   * copied or looked up through; a later delete (or a revoke that reaches it) finishes it.
   */
  | { tag: 'ZombieCap'; ptr: PPtr; zombieType: ZombieType; number: number }
  | { tag: 'IRQControlCap' }
  | { tag: 'IRQHandlerCap'; irq: number }
  | { tag: 'DomainCap' }
  | { tag: 'FrameCap'; ptr: PPtr; size: FrameSize; rights: VMRights; mapped: VMMapping | null }
  | { tag: 'PageTableCap'; ptr: PPtr; mapped: VMMapping | null }
  /** mapped: the ASID the page directory was assigned, if any. */
  | { tag: 'PageDirectoryCap'; ptr: PPtr; mapped: number | null }
  | { tag: 'ASIDControlCap' }
  | { tag: 'ASIDPoolCap'; ptr: PPtr; asidBase: number };

/** seL4 ZombieType: a TCB's slots, or a CNode of 2^radix slots. */
export type ZombieType = { tag: 'ZombieTCB' } | { tag: 'ZombieCNode'; radix: number };

export type CapTag = Cap['tag'];
export type CapOf<T extends CapTag> = Extract<Cap, { tag: T }>;

export const NULL_CAP: Cap = { tag: 'NullCap' };

export type ThreadState =
  | { tag: 'Inactive' }
  | { tag: 'Running' }
  | { tag: 'Restart' }
  | { tag: 'BlockedOnReceive'; ep: PPtr; canGrant: boolean }
  | { tag: 'BlockedOnSend'; ep: PPtr; badge: number; canGrant: boolean; canGrantReply: boolean; isCall: boolean }
  | { tag: 'BlockedOnReply' }
  | { tag: 'BlockedOnNotification'; ntfn: PPtr }
  | { tag: 'Idle' };

export type SchedulerAction =
  | { tag: 'ResumeCurrentThread' }
  | { tag: 'ChooseNewThread' }
  | { tag: 'SwitchToThread'; tcb: PPtr };

export type IRQState = 'Inactive' | 'Signal' | 'Timer' | 'Reserved';

/** An extra cap of an invocation: the cap and the slot it was found in. */
export interface ExtraCap {
  cap: Cap;
  slot: PPtr;
}

/**
 * What a decoder sees of an invocation: the label, the message words the kernel reads
 * (length already clamped to 120 and cut to 4 without an IPC buffer; words[i] is
 * getSyscallArg(i)), and the extra caps looked up from the IPC buffer.
 */
export interface InvocationArgs {
  label: number;
  words: number[];
  extraCaps: ExtraCap[];
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: SyscallError };

/** thread-state predicates (seL4 isRunnable, isStopped, isBlocked). */
export function isRunnable(st: ThreadState): boolean {
  return st.tag === 'Running' || st.tag === 'Restart';
}

export function isStopped(st: ThreadState): boolean {
  switch (st.tag) {
    case 'Inactive':
    case 'BlockedOnReceive':
    case 'BlockedOnSend':
    case 'BlockedOnReply':
    case 'BlockedOnNotification':
      return true;
    default:
      return false;
  }
}

export function isBlocked(st: ThreadState): boolean {
  return isStopped(st) && st.tag !== 'Inactive';
}
