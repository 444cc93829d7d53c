// A small hand-built world for the IPC unit tests: the booted root task plus threads, endpoints,
// notifications and IPC-buffer frames placed directly in the state (not by retype), so that each
// test can call one kernel function on exactly the situation it needs.

import { produce } from 'immer';
import { defaultConfig } from '../../../abi/config';
import { ALL_RIGHTS, type CapRights } from '../../../abi/rights';
import { REG } from '../../../abi/registers';
import { bootState, newTCB } from '../../../spec/kernel/boot';
import type { Cap, CapOf, PPtr, ThreadState } from '../../../spec/api/types';
import { type KernelState, cnodeSlot, getCTE, getTCB, tcbSlot } from '../../../spec/model/state';
import { TCB_SLOT } from '../../../spec/object/structures';

export const ROOT_CNODE_SLOT = 2;

export const ADDR = {
  tcbA: 0x00800000,
  tcbB: 0x00800200,
  tcbC: 0x00800400,
  tcbD: 0x00800600,
  ep: 0x00801000,
  ep2: 0x00801010,
  ntfn: 0x00801100,
  ntfn2: 0x00801110,
  frameA: 0x00802000,
  frameB: 0x00803000,
  frameC: 0x00804000,
} as const;

/** Slot numbers of the root CNode the tests put caps in. */
export const SLOT = { ep: 20, epBadged: 21, ntfn: 22, ntfnBadged: 23, ep2: 24, recv: 30, spare: 31 } as const;

export interface World {
  s: KernelState;
  root: PPtr;
  rootCNode: PPtr;
}

/** The booted default configuration, with an endpoint, a second endpoint and a notification. */
export function world(): World {
  const s = structuredClone(bootState(defaultConfig()));
  const root = s.curThread;
  const rootCNodeCap = getCTE(s, tcbSlot(root, TCB_SLOT.cTable)).cap;
  if (rootCNodeCap.tag !== 'CNodeCap') throw new Error('root has no CSpace');
  const w = { s, root, rootCNode: rootCNodeCap.ptr };
  s.objects[ADDR.ep] = { tag: 'Endpoint', state: 'Idle', queue: [] };
  s.objects[ADDR.ep2] = { tag: 'Endpoint', state: 'Idle', queue: [] };
  s.objects[ADDR.ntfn] = { tag: 'Notification', state: 'Idle', queue: [], word: 0, boundTCB: null };
  s.objects[ADDR.ntfn2] = { tag: 'Notification', state: 'Idle', queue: [], word: 0, boundTCB: null };
  for (const f of [ADDR.frameA, ADDR.frameB, ADDR.frameC]) s.objects[f] = { tag: 'Frame', size: 'SmallPage', words: {} };
  putCap(w, SLOT.ep, epCap(ADDR.ep));
  putCap(w, SLOT.ep2, epCap(ADDR.ep2));
  putCap(w, SLOT.ntfn, { tag: 'NotificationCap', ptr: ADDR.ntfn, badge: 0, rights: ALL_RIGHTS });
  return w;
}

export function epCap(ptr: PPtr, badge = 0, rights: CapRights = ALL_RIGHTS): CapOf<'EndpointCap'> {
  return { tag: 'EndpointCap', ptr, badge, rights };
}

export function rights(letters: string): CapRights {
  return { read: letters.includes('R'), write: letters.includes('W'), grant: letters.includes('G'), grantReply: letters.includes('P') };
}

/** Puts an original (unlinked) cap into slot i of the root CNode. */
export function putCap(w: World, i: number, cap: Cap): PPtr {
  const slot = cnodeSlot(w.rootCNode, i);
  w.s.ctes[slot] = { cap, mdb: { prev: 0, next: 0, revocable: true, firstBadged: true } };
  return slot;
}

export function rootSlot(w: World, i: number): PPtr {
  return cnodeSlot(w.rootCNode, i);
}

/**
 * A thread sharing the root CSpace, with a master reply cap and, if `frame` is given, an IPC
 * buffer at the start of that frame.
 */
export function addThread(
  w: World,
  p: PPtr,
  opts: { name: string; priority?: number; frame?: PPtr; state?: ThreadState; faultHandler?: number },
): PPtr {
  const t = newTCB(w.s.config);
  t.name = opts.name;
  t.priority = opts.priority ?? 100;
  t.state = opts.state ?? { tag: 'Inactive' };
  t.faultHandler = opts.faultHandler ?? 0;
  t.registers[REG.pc] = 0x10000 + (p & 0xffff);
  t.registers[REG.sp] = 0x20000;
  w.s.objects[p] = t;
  const cspace = getCTE(w.s, tcbSlot(w.root, TCB_SLOT.cTable)).cap;
  w.s.ctes[tcbSlot(p, TCB_SLOT.cTable)] = { cap: cspace, mdb: { prev: 0, next: 0, revocable: false, firstBadged: false } };
  w.s.ctes[tcbSlot(p, TCB_SLOT.reply)] = {
    cap: { tag: 'ReplyCap', tcb: p, master: true, canGrant: true },
    mdb: { prev: 0, next: 0, revocable: true, firstBadged: true },
  };
  if (opts.frame !== undefined) {
    t.ipcBuffer = 0x00400000;
    w.s.ctes[tcbSlot(p, TCB_SLOT.buffer)] = {
      cap: { tag: 'FrameCap', ptr: opts.frame, size: 'SmallPage', rights: 'VMReadWrite', mapped: null },
      mdb: { prev: 0, next: 0, revocable: false, firstBadged: false },
    };
  }
  return p;
}

/** The IPC buffer word i of a thread given an IPC buffer by addThread. */
export function bufWord(s: KernelState, frame: PPtr, i: number): number {
  const f = s.objects[frame];
  if (f?.tag !== 'Frame') throw new Error('not a frame');
  return f.words[i] ?? 0;
}

export function setBufWord(s: KernelState, frame: PPtr, i: number, v: number): void {
  const f = s.objects[frame];
  if (f?.tag !== 'Frame') throw new Error('not a frame');
  f.words[i] = v;
}

/** Runs kernel code on a draft of the state, as step does. */
export function run(s: KernelState, f: (d: KernelState) => void): KernelState {
  return produce(s, f);
}

export function stateOf(s: KernelState, t: PPtr): ThreadState['tag'] {
  return getTCB(s, t).state.tag;
}
