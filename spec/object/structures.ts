// Kernel objects of the abstract state, keyed by their physical base address as in l4v's
// kheap (Structures_A.thy). CTEs are not inside CNode or TCB objects: they live in the state's
// `ctes` table keyed by the slot's own physical address (cnode + 16*i, tcb block + 16*i), as the
// Haskell spec's PSpace holds KOCTE objects, so that the CDT links slots by address.

import type { FrameSize } from '../../abi/objecttype';
import type { MessageInfo } from '../../abi/messageinfo';
import type { ErrorName } from '../../abi/errors';
import type { Cap, PPtr, ThreadState, VMRights } from '../api/types';
import type { Fault } from '../api/failures';

/** The MDB node of a slot: seL4's derivation-ordered doubly linked list (0 = none). */
export interface MDBNode {
  prev: PPtr;
  next: PPtr;
  revocable: boolean;
  firstBadged: boolean;
}

export interface CTE {
  cap: Cap;
  mdb: MDBNode;
}

/** TCB CNode slot indices (seL4 tcb_cnode_index, non-MCS). */
export const TCB_SLOT = { cTable: 0, vTable: 1, reply: 2, caller: 3, buffer: 4 } as const;
export const TCB_SLOT_COUNT = 5;

/** What the kernel last delivered to a thread: the observation's badge/info/mrs/error. */
export interface Delivered {
  badge?: number;
  info?: MessageInfo;
  mrs?: number[];
  error?: ErrorName;
}

export interface TCB {
  tag: 'TCB';
  state: ThreadState;
  /** seL4_UserContext in abi/registers.ts order. */
  registers: number[];
  /** The fault handler CPtr (non-MCS), looked up in the thread's own CSpace. */
  faultHandler: number;
  /** IPC buffer virtual address. */
  ipcBuffer: number;
  fault: Fault | null;
  boundNotification: PPtr | null;
  mcp: number;
  priority: number;
  timeSlice: number;
  /** DebugNameThread's name, if any. */
  name: string | null;
  delivered: Delivered;
}

export type EndpointState = 'Idle' | 'Send' | 'Recv';

export interface Endpoint {
  tag: 'Endpoint';
  state: EndpointState;
  /** Queued threads, head first; empty iff Idle. */
  queue: PPtr[];
}

export type NotificationState = 'Idle' | 'Waiting' | 'Active';

export interface Notification {
  tag: 'Notification';
  state: NotificationState;
  /** Waiting threads, head first; empty unless Waiting. */
  queue: PPtr[];
  /** The notification word (meaningful when Active). */
  word: number;
  boundTCB: PPtr | null;
}

export interface CNode {
  tag: 'CNode';
  radix: number;
}

export interface Frame {
  tag: 'Frame';
  size: FrameSize;
  /** Non-zero words of the frame, keyed by word index (byte offset / 4). */
  words: Record<number, number>;
}

export type PDE =
  | { tag: 'PageTablePDE'; pt: PPtr }
  | { tag: 'SectionPDE'; frame: PPtr; rights: VMRights }
  | { tag: 'SuperSectionPDE'; frame: PPtr; rights: VMRights };

export type PTE =
  | { tag: 'SmallPagePTE'; frame: PPtr; rights: VMRights }
  | { tag: 'LargePagePTE'; frame: PPtr; rights: VMRights };

export interface PageDirectory {
  tag: 'PageDirectory';
  /** Valid entries only, keyed by index 0..4095 (a supersection occupies 16 entries). */
  entries: Record<number, PDE>;
}

export interface PageTable {
  tag: 'PageTable';
  /** Valid entries only, keyed by index 0..255 (a large page occupies 16 entries). */
  entries: Record<number, PTE>;
}

export interface ASIDPool {
  tag: 'ASIDPool';
  /** Assigned entries only: low ASID bits (0..1023) -> page directory. */
  entries: Record<number, PPtr>;
}

export type KernelObject = TCB | Endpoint | Notification | CNode | Frame | PageDirectory | PageTable | ASIDPool;
export type ObjectTag = KernelObject['tag'];
export type ObjectOf<T extends ObjectTag> = Extract<KernelObject, { tag: T }>;
