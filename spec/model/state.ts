// The abstract kernel state (l4v spec/abstract: kheap, cdt, ready queues, scheduler action,
// interrupt state, ARM ASID table) as plain records keyed by physical address. Kernel code runs
// on an immer draft of it inside `step`; this module has the typed accessors every module uses.

import type { Config } from '../../abi/config';
import type { IRQState, PPtr, SchedulerAction } from '../api/types';
import { type CTE, type KernelObject, type ObjectOf, type ObjectTag, TCB_SLOT, type TCB } from '../object/structures';

export interface KernelState {
  config: Config;
  objects: Record<PPtr, KernelObject>;
  /** Non-null slots only; an absent slot holds NullCap with a null MDB node. */
  ctes: Record<PPtr, CTE>;
  curThread: PPtr;
  idleThread: PPtr;
  schedulerAction: SchedulerAction;
  /** Ready queue per priority, head first; absent = empty. */
  readyQueues: Record<number, PPtr[]>;
  /** armKSASIDTable: pool index (asid >> 10) -> ASID pool. */
  asidTable: Record<number, PPtr>;
  irqStates: IRQState[];
  /** Interrupt controller state the spec keeps so that masked raises stay pending. */
  irqMasked: boolean[];
  irqPending: boolean[];
}

/** A kernel invariant broke: a bug of the model, never a user-visible outcome. */
export class KernelBug extends Error {}

export function assert(cond: unknown, what: string): asserts cond {
  if (!cond) throw new KernelBug(what);
}

export function getObject<T extends ObjectTag>(s: KernelState, p: PPtr, tag: T): ObjectOf<T> {
  const o = s.objects[p];
  assert(o !== undefined && o.tag === tag, `expected a ${tag} at 0x${p.toString(16)}, found ${o?.tag ?? 'nothing'}`);
  return o as ObjectOf<T>;
}

export function getTCB(s: KernelState, p: PPtr): TCB {
  return getObject(s, p, 'TCB');
}

/** The slot at a CTE address (NullCap when empty). The returned object must not be mutated when empty. */
export function getCTE(s: KernelState, slot: PPtr): CTE {
  return s.ctes[slot] ?? EMPTY_CTE;
}

export const EMPTY_CTE: CTE = Object.freeze({
  cap: Object.freeze({ tag: 'NullCap' }),
  mdb: Object.freeze({ prev: 0, next: 0, revocable: false, firstBadged: false }),
}) as CTE;

export const CTE_SIZE = 16;

/** Address of slot i of a CNode object. */
export function cnodeSlot(cnode: PPtr, i: number): PPtr {
  return cnode + i * CTE_SIZE;
}

/** Address of TCB slot i (TCB_SLOT) of the TCB whose block starts at tcb. */
export function tcbSlot(tcb: PPtr, i: (typeof TCB_SLOT)[keyof typeof TCB_SLOT]): PPtr {
  return tcb + i * CTE_SIZE;
}
