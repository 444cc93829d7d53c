// The checker's world (l4check check): several threads at several priorities, some in CSpaces of
// their own, bound notifications, an IRQ handler, spare frames, a page table, a page directory and
// a small untyped. Slots stay below 64, and every own CSpace (a radix-6 CNode with a 26-bit guard)
// holds its caps at the same slot numbers as the root CNode, so one cap pointer means the same
// object to every thread that has it.

import fc from 'fast-check';
import type { RawEvent } from './basic';

export interface GeneratorOptions {
  /** Threads besides root (1..6). */
  threads: number;
  endpoints: number;
  notifications: number;
  /** Threads that get a CSpace of their own (at most `threads`). */
  cspaces: number;
  /** Most random events per run (after the setup phase). */
  steps: number;
  /** Relative weights of the kinds of random event. */
  weights: Record<EventKind, number>;
}

export const EVENT_KINDS = ['ipc', 'invoke', 'memory', 'exception', 'irq', 'tick', 'garbage'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const DEFAULT_GENERATOR_OPTIONS: GeneratorOptions = {
  threads: 4, endpoints: 3, notifications: 2, cspaces: 2, steps: 250,
  weights: { ipc: 30, invoke: 36, memory: 5, exception: 2, irq: 3, tick: 4, garbage: 6 },
};

/** A radix-6 CNode addressed at depth 32: guard 0 of 26 bits (seL4_CNode_CapData: size at bit 3). */
export const OWN_CNODE_RADIX = 6;
export const OWN_CSPACE_DATA = (32 - OWN_CNODE_RADIX) << 3;
export const LAST_SLOT = 2 ** OWN_CNODE_RADIX - 1;
export const IRQ_LINE = 5;
export const WATCHDOG = 'watchdog';
const WATCHDOG_PRIORITY = 254;
export const BUFFER_BASE = 0x00202000;
export const ROOT_UNTYPED = 17;

export interface World {
  eps: number[];
  badgedEps: number[];
  ntfns: number[];
  badgedNtfns: number[];
  tcbs: number[];
  cnodes: number[];
  /** frames[i] is thread i's IPC buffer; the last two are spare. */
  frames: number[];
  pageTable: number;
  pageDirectory: number;
  untyped: number;
  irqHandler: number;
  irqLine: number;
  /** A thread above the others that waits for the IRQ line and then resumes everyone (TraceDriver). */
  watchdog: number;
  /** The watchdog's own notification, which the IRQ handler signals. */
  watchdogNtfn: number;
  firstFree: number;
  /** Names of the slots, for reports. */
  slotNames: Map<number, string>;
  threadNames: string[];
}

export function layoutWorld(o: GeneratorOptions): World {
  let next = 20;
  const take = (n: number) => Array.from({ length: n }, () => next++);
  const w: World = {
    eps: take(o.endpoints), ntfns: take(o.notifications), tcbs: take(o.threads), cnodes: take(o.cspaces),
    frames: take(o.threads + 2), pageTable: next++, pageDirectory: next++, untyped: next++,
    badgedEps: [], badgedNtfns: [], irqHandler: 0, irqLine: IRQ_LINE, watchdog: 0, watchdogNtfn: 0, firstFree: 0,
    slotNames: new Map(), threadNames: Array.from({ length: o.threads }, (_, i) => `t${i + 1}`),
  };
  w.badgedEps = take(o.endpoints);
  w.badgedNtfns = take(o.notifications);
  w.irqHandler = next++;
  w.watchdog = next++;
  w.watchdogNtfn = next++;
  w.firstFree = next;
  if (w.firstFree > LAST_SLOT - 4) throw new RangeError('generator: too many objects for the 64-slot world (fewer threads, endpoints or notifications)');
  const name = (slots: number[], p: string) => slots.forEach((s, i) => w.slotNames.set(s, `${p}${i}`));
  for (const [s, n] of [[1, 'rootTCB'], [2, 'rootCNode'], [3, 'rootPD'], [4, 'irqControl'], [5, 'asidControl'], [6, 'asidPool'], [10, 'rootBuffer'], [16, 'rootPT'], [17, 'ut17'], [18, 'ut18'], [19, 'ut19']] as const) w.slotNames.set(s, n);
  name(w.eps, 'ep');
  name(w.ntfns, 'ntfn');
  w.tcbs.forEach((s, i) => w.slotNames.set(s, `tcb_${w.threadNames[i]}`));
  name(w.cnodes, 'cnode');
  name(w.frames, 'frame');
  name(w.badgedEps, 'ep_badged');
  name(w.badgedNtfns, 'ntfn_badged');
  w.slotNames.set(w.pageTable, 'pt').set(w.pageDirectory, 'pd').set(w.untyped, 'ut').set(w.irqHandler, 'irqHandler').set(w.watchdog, 'tcb_watchdog').set(w.watchdogNtfn, 'ntfn_watchdog');
  return w;
}

/** What the setup phase varies per run. */
export interface WorldParams {
  priorities: number[];
  /** Root's priority once setup is done (threads above it run at once). */
  rootPriority: number;
  /** Thread i has the fault endpoint (the last endpoint) or none. */
  faultHandler: boolean[];
  /** For each notification, the thread it is bound to (or -1). */
  boundTo: number[];
}

export function arbWorldParams(o: GeneratorOptions): fc.Arbitrary<WorldParams> {
  const prio = fc.constantFrom(100, 150, 200, 100, 60);
  return fc.record({
    // Sometimes every thread shares one priority: long ready queues (round robin, lazy scheduling's cost).
    priorities: fc.oneof(
      { weight: 3, arbitrary: fc.array(prio, { minLength: o.threads, maxLength: o.threads }) },
      { weight: 1, arbitrary: prio.map((p) => Array.from({ length: o.threads }, () => p)) },
    ),
    rootPriority: fc.constantFrom(255, 120, 80),
    faultHandler: fc.array(fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), { minLength: o.threads, maxLength: o.threads }),
    boundTo: fc.array(fc.integer({ min: -1, max: o.threads - 1 }), { minLength: o.notifications, maxLength: o.notifications })
      .map((b) => b.map((t, i) => (b.indexOf(t) === i ? t : -1))),
  });
}

export const inv = (method: string, cap: number, args: Record<string, unknown> = {}): RawEvent =>
  (Object.keys(args).length > 0 ? { invoke: method, cap, args } : { invoke: method, cap });

/** The setup phase: root builds the world (every invocation succeeds). */
export function worldSetup(w: World, p: WorldParams): RawEvent[] {
  const out: RawEvent[] = [];
  const retypeAt = (type: string, sizeBits: number, slots: number[]) => {
    if (slots.length > 0) out.push(inv('Untyped_Retype', ROOT_UNTYPED, { type, sizeBits, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: slots[0], numObjects: slots.length }));
  };
  retypeAt('Endpoint', 0, w.eps);
  retypeAt('Notification', 0, w.ntfns);
  retypeAt('TCB', 0, w.tcbs);
  retypeAt('CNode', OWN_CNODE_RADIX, w.cnodes);
  retypeAt('SmallPage', 0, w.frames);
  retypeAt('PageTable', 0, [w.pageTable]);
  retypeAt('PageDirectory', 0, [w.pageDirectory]);
  retypeAt('Untyped', 12, [w.untyped]);
  retypeAt('TCB', 0, [w.watchdog]);
  retypeAt('Notification', 0, [w.watchdogNtfn]);
  const mint = (cnode: number, depth: number, dest: number, src: number, rights: string, badge: number) =>
    out.push(inv('CNode_Mint', cnode, { destIndex: dest, destDepth: depth, srcRoot: 2, srcIndex: src, srcDepth: 32, rights, badge }));
  const copy = (cnode: number, dest: number, src: number) =>
    out.push(inv('CNode_Copy', cnode, { destIndex: dest, destDepth: OWN_CNODE_RADIX, srcRoot: 2, srcIndex: src, srcDepth: 32, rights: 'RWGP' }));
  w.eps.forEach((ep, i) => mint(2, 32, w.badgedEps[i], ep, 'RWGP', i + 1));
  w.ntfns.forEach((n, i) => mint(2, 32, w.badgedNtfns[i], n, 'RW', 1 << i));
  w.cnodes.forEach((cn, k) => {
    copy(cn, 1, w.tcbs[k]);
    mint(cn, OWN_CNODE_RADIX, 2, cn, 'RWGP', OWN_CSPACE_DATA);
    copy(cn, 3, 3);
    w.eps.forEach((ep, i) => (i === 0 ? mint(cn, OWN_CNODE_RADIX, ep, ep, 'RWGP', 10 + k) : copy(cn, ep, ep)));
    for (const s of [...w.ntfns, ...w.badgedEps, ...w.badgedNtfns]) copy(cn, s, s);
  });
  w.tcbs.forEach((_, i) => out.push(inv('Page_Map', w.frames[i], { vspace: 3, vaddr: BUFFER_BASE + i * 0x1000, rights: 'RW', attr: 0 })));
  const faultEP = w.eps[w.eps.length - 1];
  w.tcbs.forEach((t, i) => {
    const own = i < w.cnodes.length;
    out.push(inv('TCB_Configure', t, {
      faultEP: p.faultHandler[i] ? faultEP : 0, cspaceRoot: own ? w.cnodes[i] : 2, cspaceRootData: own ? OWN_CSPACE_DATA : 0,
      vspaceRoot: 3, vspaceRootData: 0, buffer: BUFFER_BASE + i * 0x1000, bufferFrame: w.frames[i],
    }));
    out.push(inv('TCB_SetPriority', t, { authority: 1, priority: p.priorities[i] }));
    out.push({ invoke: 'DebugNameThread', cap: t, args: { name: w.threadNames[i] } });
  });
  p.boundTo.forEach((t, n) => {
    if (t >= 0 && n > 0) out.push(inv('TCB_BindNotification', w.tcbs[t], { notification: w.ntfns[n] }));
  });
  out.push(inv('IRQControl_Get', 4, { irq: w.irqLine, root: 2, index: w.irqHandler, depth: 32 }));
  out.push(inv('IRQHandler_SetNotification', w.irqHandler, { notification: w.watchdogNtfn }));
  out.push(inv('IRQHandler_Ack', w.irqHandler));
  const spare = w.frames[w.frames.length - 1];
  out.push(inv('TCB_Configure', w.watchdog, { faultEP: 0, cspaceRoot: 2, cspaceRootData: 0, vspaceRoot: 3, vspaceRootData: 0, buffer: 0x00240000, bufferFrame: spare }));
  out.push(inv('TCB_SetPriority', w.watchdog, { authority: 1, priority: WATCHDOG_PRIORITY }));
  out.push({ invoke: 'DebugNameThread', cap: w.watchdog, args: { name: WATCHDOG } });
  out.push(inv('TCB_Resume', w.watchdog));
  for (const t of w.tcbs) out.push(inv('TCB_Resume', t));
  if (p.rootPriority !== 255) out.push(inv('TCB_SetPriority', 1, { authority: 1, priority: p.rootPriority }));
  return out;
}

// Random events for the world: mostly well-formed (caps of the right kind, free destination slots,
// aligned addresses), with a share of garbage. Message syscalls are generated without their nonce:
// `TraceDriver` puts it in mrs[0] when the event runs.
