// abstract(k): the spec state that the concrete kernel's memory, registers and ghost records
// represent (l4v's state relation, read as a function). Built only from the per-type pieces;
// impl-only invariants found on the way are returned as problems.

import { KERNEL_LAYOUT } from '../../abi/boot';
import { SIZE_BITS, type FrameSize } from '../../abi/objecttype';
import type { IRQState, PPtr } from '../../spec/api/types';
import type { CTE, KernelObject } from '../../spec/object/structures';
import type { KernelState } from '../../spec';
import type { Kernel } from '../../impl';
import { GLOBALS, IRQ_STATE, type GhostObject } from '../../impl/model/state';
import { CTE_BYTES } from '../../impl/object/structures';
import { absTCB } from '../object/tcb';
import { absEndpoint } from '../object/endpoint';
import { absNotification } from '../object/notification';
import { absCTE } from '../object/cnode';
import { absASIDPool, absFrame, absPageDirectory, absPageTable } from '../kernel/vspace';
import { absReadyQueues, absSchedulerAction } from '../kernel/thread';

export interface Abstraction {
  state: KernelState;
  /** Impl-only invariants that do not hold (list symmetry, bitmap, layout well-formedness). */
  problems: string[];
}

const IRQ_STATE_NAME: Record<number, IRQState> = {
  [IRQ_STATE.Inactive]: 'Inactive', [IRQ_STATE.Signal]: 'Signal', [IRQ_STATE.Timer]: 'Timer', [IRQ_STATE.Reserved]: 'Reserved',
};

const TCB_SLOTS = 5;

/** The addresses of the CTEs an object holds (CNode slots, the TCB's five slots). */
export function objectSlots(p: PPtr, o: GhostObject): PPtr[] {
  if (o.type === 'CNode') return Array.from({ length: 2 ** (o.sizeBits - SIZE_BITS.Slot) }, (_, i) => p + i * CTE_BYTES);
  if (o.type === 'TCB') return Array.from({ length: TCB_SLOTS }, (_, i) => p + i * CTE_BYTES);
  return [];
}

export function irqNodeSlots(k: Kernel): PPtr[] {
  return Array.from({ length: k.config.irqLines }, (_, i) => KERNEL_LAYOUT.irqNode + i * CTE_BYTES);
}

/** One object of the ghost heap as the spec's record. */
export function absObject(k: Kernel, p: PPtr, o: GhostObject, problem: (what: string) => void): KernelObject {
  const where = (w: string) => problem(`object 0x${p.toString(16)} (${o.type}): ${w}`);
  switch (o.type) {
    case 'TCB':
      return absTCB(k, p);
    case 'Endpoint':
      return absEndpoint(k, p, where);
    case 'Notification':
      return absNotification(k, p, where);
    case 'CNode':
      return { tag: 'CNode', radix: o.sizeBits - SIZE_BITS.Slot };
    case 'PageDirectory':
      return absPageDirectory(k, p, where);
    case 'PageTable':
      return absPageTable(k, p, where);
    case 'ASIDPool':
      return absASIDPool(k, p);
    case 'SmallPage':
    case 'LargePage':
    case 'Section':
    case 'SuperSection':
      return absFrame(k, p, o.type as FrameSize, o.sizeBits);
  }
}

export function absCTEInto(k: Kernel, slot: PPtr, ctes: Record<PPtr, CTE>, problem: (what: string) => void): void {
  const c = absCTE(k, slot, problem);
  if (c) ctes[slot] = c;
}

/** The scalar part of the state (everything but objects and CTEs). */
export function absGlobals(k: Kernel, problem: (what: string) => void): Omit<KernelState, 'objects' | 'ctes' | 'config'> {
  const asidTable: Record<number, PPtr> = {};
  for (let i = 0; i < 128; i++) {
    const w = k.m.peek32(GLOBALS.armKSASIDTable + 4 * i);
    if (w !== 0) asidTable[i] = w;
  }
  const n = k.config.irqLines;
  const irqStates = Array.from({ length: n }, (_, i) => {
    const v = k.m.peek32(GLOBALS.intStateIRQTable + 4 * i);
    const name = IRQ_STATE_NAME[v];
    if (name === undefined) problem(`IRQ ${i}: state word ${v} is not a state`);
    return name ?? 'Inactive';
  });
  return {
    curThread: k.m.peek32(GLOBALS.ksCurThread),
    idleThread: k.m.peek32(GLOBALS.ksIdleThread),
    schedulerAction: absSchedulerAction(k),
    readyQueues: absReadyQueues(k, problem),
    asidTable,
    irqStates,
    irqMasked: Array.from({ length: n }, (_, i) => k.m.irq.isMasked(i)),
    irqPending: Array.from({ length: n }, (_, i) => k.m.irq.isPending(i)),
  };
}

/** The whole abstract state (the full check). */
export function abstract(k: Kernel): Abstraction {
  const problems: string[] = [];
  const problem = (w: string) => problems.push(w);
  const objects: Record<PPtr, KernelObject> = {};
  const ctes: Record<PPtr, CTE> = {};
  const bases = [...k.objects.keys()].sort((a, b) => a - b);
  for (const p of bases) {
    const o = k.objects.get(p)!;
    objects[p] = absObject(k, p, o, problem);
    for (const slot of objectSlots(p, o)) absCTEInto(k, slot, ctes, problem);
  }
  for (const slot of irqNodeSlots(k)) absCTEInto(k, slot, ctes, problem);
  return { state: { config: k.config, objects, ctes, ...absGlobals(k, problem) }, problems };
}
