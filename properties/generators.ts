// Trace generators: a fixed setup phase in which the root task builds a small world (endpoints, a
// notification, two configured threads with IPC buffers), then random events from every row of
// trace-format.md, biased towards valid cap pointers, labels and arguments, keeping garbage too.
// Events are generated as trace-file JSON, so a shrunk counterexample is directly a trace file.

import fc from 'fast-check';
import type { Config } from '../abi/config';
import { METHODS, METHOD_NAMES, type ArgType, type MethodName } from '../abi/invocations';
import { SYSCALL_NAMES } from '../abi/syscalls';
import { OBJECT_TYPES } from '../abi/objecttype';
import { bootLayout } from '../abi/boot';
import type { KernelState } from '../spec';
import type { PPtr } from '../spec/api/types';
import type { TCB } from '../spec/object/structures';

export type RawEvent = Record<string, unknown>;

/** Slots the setup phase fills in the root CNode. */
export const WORLD = {
  ep: 20, ep2: 21, ntfn: 22, tcbA: 23, tcbB: 24, cnode: 25, frameA: 26, frameB: 27, untyped: 29,
  badgedEp: 30, badgedNtfn: 31, firstFree: 32,
} as const;

const retype = (type: string, sizeBits: number, offset: number, n = 1): RawEvent => ({
  invoke: 'Untyped_Retype', cap: 17,
  args: { type, sizeBits, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: offset, numObjects: n },
});

/** The setup phase, run by root from boot (default config). */
export function setupEvents(): RawEvent[] {
  const W = WORLD;
  const configure = (tcb: number, buffer: number, frame: number): RawEvent => ({
    invoke: 'TCB_Configure', cap: tcb,
    args: { faultEP: W.ep2, cspaceRoot: 2, cspaceRootData: 0, vspaceRoot: 3, vspaceRootData: 0, buffer, bufferFrame: frame },
  });
  const mint = (dest: number, src: number, rights: string, badge: number): RawEvent => ({
    invoke: 'CNode_Mint', cap: 2, args: { destIndex: dest, destDepth: 32, srcRoot: 2, srcIndex: src, srcDepth: 32, rights, badge },
  });
  return [
    retype('Endpoint', 0, W.ep, 2),
    retype('Notification', 0, W.ntfn),
    retype('TCB', 0, W.tcbA, 2),
    retype('CNode', 4, W.cnode),
    retype('SmallPage', 0, W.frameA, 2),
    retype('Untyped', 12, W.untyped),
    mint(W.badgedEp, W.ep, 'RWGP', 5),
    mint(W.badgedNtfn, W.ntfn, 'RW', 1),
    { invoke: 'Page_Map', cap: W.frameA, args: { vspace: 3, vaddr: '0x00202000', rights: 'RW', attr: 0 } },
    { invoke: 'Page_Map', cap: W.frameB, args: { vspace: 3, vaddr: '0x00203000', rights: 'RW', attr: 0 } },
    configure(W.tcbA, 0x00202000, W.frameA),
    configure(W.tcbB, 0x00203000, W.frameB),
    { invoke: 'TCB_SetPriority', cap: W.tcbA, args: { authority: 1, priority: 200 } },
    { invoke: 'TCB_SetPriority', cap: W.tcbB, args: { authority: 1, priority: 200 } },
    { invoke: 'DebugNameThread', cap: W.tcbA, args: { name: 'a' } },
    { invoke: 'DebugNameThread', cap: W.tcbB, args: { name: 'b' } },
    { invoke: 'TCB_Resume', cap: W.tcbA },
    { invoke: 'TCB_Resume', cap: W.tcbB },
  ];
}

const u32 = fc.nat({ max: 0xffffffff });
/** Cap pointers: mostly slots that hold something after setup, sometimes empty ones or garbage. */
const cptr = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: WORLD.firstFree + 4 }) },
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: u32 },
);
const smallWord = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 64 }) }, { weight: 1, arbitrary: u32 });
const depth = fc.oneof({ weight: 6, arbitrary: fc.constant(32) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 }) });
const vaddr = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x00200000 / 4, max: 0x00204000 / 4 - 1 }).map((w) => w * 4) },
  { weight: 1, arbitrary: u32 },
);

function arbArg(name: string, type: ArgType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'cap':
      return cptr;
    case 'bool':
      return fc.boolean();
    case 'rights':
      return fc.oneof(fc.constantFrom('RWGP', 'RW', 'R', 'W', 'RWG', ''), fc.integer({ min: 0, max: 15 }));
    case 'objtype':
      return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...OBJECT_TYPES) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 20 }) });
    case 'regs':
      return fc.array(u32, { maxLength: 17 });
    case 'u8':
      return depth;
    case 'word':
      if (/vaddr|buffer/.test(name)) return vaddr;
      if (/[dD]epth/.test(name)) return depth;
      if (/priority|mcp/.test(name)) return fc.integer({ min: 0, max: 260 });
      return smallWord;
  }
}

function arbInvoke(m: MethodName): fc.Arbitrary<RawEvent> {
  const args = Object.fromEntries(METHODS[m].args.map((a) => [a.name, arbArg(a.name, a.type)]));
  return fc.record({ invoke: fc.constant(m), cap: cptr, args: fc.record(args) });
}

const arbSyscall: fc.Arbitrary<RawEvent> = fc.record(
  {
    syscall: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...SYSCALL_NAMES) }, { weight: 1, arbitrary: fc.integer({ min: -20, max: 20 }) }),
    cap: cptr,
    info: fc.record({ label: smallWord }, { requiredKeys: [] }),
    mrs: fc.array(smallWord, { maxLength: 6 }),
    extraCaps: fc.array(cptr, { maxLength: 3 }),
    receive: fc.record({ root: fc.constantFrom(0, 2), index: cptr, depth }),
  },
  { requiredKeys: ['syscall', 'cap'] },
);

/** One random event for a booted system with this config. */
export function arbEvent(config: Pick<Config, 'irqLines'>): fc.Arbitrary<RawEvent> {
  return fc.oneof(
    { weight: 10, arbitrary: arbSyscall },
    { weight: 10, arbitrary: fc.constantFrom(...METHOD_NAMES).chain(arbInvoke) },
    { weight: 2, arbitrary: vaddr.map((v) => ({ load: v })) },
    { weight: 2, arbitrary: fc.tuple(vaddr, u32).map(([v, x]) => ({ store: v, value: x })) },
    { weight: 1, arbitrary: u32.map((c) => ({ exception: c })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: config.irqLines - 1 }).map((l) => ({ irq: l })) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 12 }).map((n) => ({ tick: n })) },
  );
}

// ---------------------------------------------------------------------------------------------
// The checker's world (l4check check): several threads at several priorities, some in CSpaces of
// their own, bound notifications, an IRQ handler, spare frames, a page table, a page directory and
// a small untyped. Slots stay below 64, and every own CSpace (a radix-6 CNode with a 26-bit guard)
// holds its caps at the same slot numbers as the root CNode, so one cap pointer means the same
// object to every thread that has it.

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
const OWN_CNODE_RADIX = 6;
export const OWN_CSPACE_DATA = (32 - OWN_CNODE_RADIX) << 3;
const LAST_SLOT = 2 ** OWN_CNODE_RADIX - 1;
const IRQ_LINE = 5;
export const WATCHDOG = 'watchdog';
const WATCHDOG_PRIORITY = 254;
const BUFFER_BASE = 0x00202000;
const ROOT_UNTYPED = 17;

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

const inv = (method: string, cap: number, args: Record<string, unknown> = {}): RawEvent =>
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

const MESSAGE_SYSCALLS = new Set(['Send', 'NBSend', 'Call', 'Reply', 'ReplyRecv']);
const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
const often = <T, U = T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>, goodWeight = 6): fc.Arbitrary<T | U> =>
  fc.oneof({ weight: goodWeight, arbitrary: good as fc.Arbitrary<T | U> }, { weight: 1, arbitrary: bad as fc.Arbitrary<T | U> });

/** `x` once in `n` draws, otherwise null (fc.option's freq counts the other way). */
const rarely = <T>(x: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: x });

/** Everything the world-aware arbitraries draw cap pointers from. */
function slotPools(w: World) {
  const free = Array.from({ length: LAST_SLOT - w.firstFree + 1 }, (_, i) => w.firstFree + i);
  const all = [...w.slotNames.keys()].sort((a, b) => a - b);
  const any = often(pick(all), fc.oneof(pick(free), fc.constant(0), u32), 5);
  return {
    free, all, any,
    ipc: often(pick([...w.eps, ...w.badgedEps, ...w.ntfns, ...w.badgedNtfns]), any, 8),
    freeSlot: often(pick(free), pick(all), 3),
    usedSlot: often(pick(all), pick(free), 4),
  };
}

function arbIPC(w: World): fc.Arbitrary<RawEvent> {
  const P = slotPools(w);
  const syscall = fc.oneof(
    { weight: 4, arbitrary: pick(['Send', 'Call', 'Recv', 'ReplyRecv']) },
    { weight: 2, arbitrary: pick(['NBSend', 'NBRecv', 'Reply']) },
    { weight: 1, arbitrary: fc.constant('Yield') },
  );
  const transfer = fc.record({
    extraCaps: fc.array(P.any, { minLength: 1, maxLength: 3 }),
    receive: fc.record({ root: fc.constant(2), index: P.freeSlot, depth: fc.constant(32) }),
  });
  return fc.tuple(syscall, P.ipc, fc.nat({ max: 3 }), fc.array(fc.nat({ max: 99 }), { maxLength: 5 }), rarely(transfer, 5))
    .map(([s, cap, label, mrs, t]) => {
      const e: RawEvent = s === 'Yield' ? { syscall: s } : { syscall: s, cap, info: { label }, mrs };
      if (t && s !== 'Yield') Object.assign(e, t);
      return e;
    });
}

/** Which world slots suit each cap argument and invoked interface. */
function capChoices(w: World): Record<string, number[]> {
  return {
    Untyped: [w.untyped, ROOT_UNTYPED, 18], TCB: [...w.tcbs, 1], CNode: [2, ...w.cnodes], IRQControl: [4], IRQHandler: [w.irqHandler],
    Frame: [...w.frames, 10], PageTable: [w.pageTable, 16], ASIDControl: [5], ASIDPool: [6],
    root: [2, ...w.cnodes], srcRoot: [2, 2, ...w.cnodes], pivotRoot: [2, ...w.cnodes], cspaceRoot: [2, ...w.cnodes],
    vspace: [3, w.pageDirectory], vspaceRoot: [3, w.pageDirectory], notification: [...w.ntfns, ...w.badgedNtfns],
    authority: [1, ...w.tcbs], source: [...w.tcbs, 1], bufferFrame: w.frames, untyped: [w.untyped, ROOT_UNTYPED],
  };
}

const pageVaddr = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0x206, max: 0x20f }).map((p) => p * 0x1000) },
  { weight: 2, arbitrary: fc.integer({ min: 0x300, max: 0x30f }).map((p) => p * 0x1000) },
  { weight: 2, arbitrary: fc.constantFrom(0x00201000, 0x00202000, 0x00202004, 0xe0000000, 0xe0100000, 0x10000000) },
);

/** Indexes that name a slot to read (a source, or the slot a Revoke/Delete acts on). */
const SOURCE_INDEX = /^(srcIndex|pivotIndex)$/;
const SOURCE_METHODS = /^CNode_(Revoke|Delete|CancelBadgedSends)$/;

function arbWorldArg(w: World, P: ReturnType<typeof slotPools>, name: string, type: ArgType, method = ''): fc.Arbitrary<unknown> {
  const C = capChoices(w);
  if (type === 'cap') return often(pick(C[name] ?? P.all), P.any, 5);
  if (type === 'bool') return fc.boolean();
  if (type === 'rights') return often(pick(['RWGP', 'RW', 'R', 'W', 'RWG', 'RG']), fc.integer({ min: 0, max: 15 }), 4);
  if (type === 'objtype') return often(pick(OBJECT_TYPES), fc.integer({ min: 11, max: 40 }), 6);
  if (type === 'regs') return fc.array(fc.nat({ max: 0xffff }), { maxLength: 17 });
  if (/[iI]ndex|nodeOffset/.test(name)) {
    if (name === 'nodeIndex') return often(fc.constant(0), P.any);
    return SOURCE_INDEX.test(name) || (name === 'index' && SOURCE_METHODS.test(method)) ? P.usedSlot : P.freeSlot;
  }
  if (/[dD]epth/.test(name)) return name === 'nodeDepth' ? often(fc.constant(0), fc.constantFrom(32, 6, 40)) : often(fc.constant(32), fc.constantFrom(0, 6, 12, 33, 40), 5);
  switch (name) {
    case 'sizeBits': return often(fc.constantFrom(0, 0, 4, 5, 6, 12), fc.integer({ min: 0, max: 40 }), 5);
    case 'numObjects': return often(fc.integer({ min: 1, max: 3 }), fc.constantFrom(0, 300, 5000), 8);
    case 'priority': case 'mcp': return often(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 256, max: 300 }));
    case 'badge': case 'destBadge': case 'pivotBadge': return fc.nat({ max: 20 });
    case 'vaddr': return pageVaddr;
    case 'buffer': return often(fc.integer({ min: 0, max: 7 }).map((i) => BUFFER_BASE + i * 0x1000), fc.constantFrom(0x00202004, 0x00202100, 0x00202010), 3);
    case 'faultEP': return often(pick([...w.eps, ...w.badgedEps]), fc.constantFrom(0, 99));
    case 'cspaceRootData': return often(fc.constantFrom(0, OWN_CSPACE_DATA), smallWord);
    case 'irq': return often(fc.integer({ min: 1, max: 31 }), fc.constantFrom(0, 32, 300), 5);
    case 'count': return fc.integer({ min: 0, max: 20 });
    default: return often(fc.integer({ min: 0, max: 3 }), u32);
  }
}

/** Weights of the methods: frequent ones for the common paths, the rest still reached. */
function arbWorldInvoke(w: World): fc.Arbitrary<RawEvent> {
  const P = slotPools(w);
  const C = capChoices(w);
  const each = METHOD_NAMES.map((m) => {
    const spec = METHODS[m];
    const args = Object.fromEntries(spec.args.map((a) => [a.name, arbWorldArg(w, P, a.name, a.type, m)]));
    const cap = often(pick(C[spec.interface]), P.any, 8);
    const trunc = rarely(fc.record({ length: fc.nat({ max: 3 }), extraCaps: fc.nat({ max: 1 }) }, { requiredKeys: [] }), 7);
    const ev = fc.record({ cap, args: fc.record(args), info: trunc }).map(({ cap: c, args: a, info }): RawEvent => {
      const e: RawEvent = spec.args.length > 0 ? { invoke: m, cap: c, args: a } : { invoke: m, cap: c };
      if (info && Object.keys(info).length > 0 && spec.args.length > 0) e.info = info;
      return e;
    });
    return { weight: /^CNode_|Untyped|TCB_(Resume|Suspend|SetPriority)/.test(m) ? 3 : 2, arbitrary: ev };
  });
  return fc.oneof(...each);
}

function arbMemory(w: World): fc.Arbitrary<RawEvent> {
  const addr = fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 0, max: w.tcbs.length + 2 }).map((i) => BUFFER_BASE + i * 0x1000 + 0x40) },
    { weight: 2, arbitrary: fc.constantFrom(0x00201000, 0x00200000, 0x00206000, 0x00400000, 0x00202002, 0xe0001000) },
  );
  return fc.oneof(addr.map((v) => ({ load: v })), fc.tuple(addr, fc.nat({ max: 0xffff })).map(([v, x]) => ({ store: v, value: x })));
}

/** One random event of the world (without nonces: see TraceDriver). */
export function arbWorldEvent(w: World, o: GeneratorOptions, irqLines = 32): fc.Arbitrary<RawEvent> {
  const kinds: Record<EventKind, fc.Arbitrary<RawEvent>> = {
    ipc: arbIPC(w),
    invoke: arbWorldInvoke(w),
    memory: arbMemory(w),
    exception: fc.nat({ max: 7 }).map((c) => ({ exception: c })),
    irq: often(fc.integer({ min: 1, max: irqLines - 1 }), fc.constant(w.irqLine), 4).map((l) => ({ irq: l })),
    tick: fc.integer({ min: 1, max: 6 }).map((n) => ({ tick: n })),
    garbage: arbEvent({ irqLines }),
  };
  return fc.oneof(...EVENT_KINDS.filter((k) => o.weights[k] > 0).map((k) => ({ weight: o.weights[k], arbitrary: kinds[k] })));
}

/** A generated run: the setup's parameters and the random events (before nonces and re-issues). */
export interface GeneratedRun {
  world: WorldParams;
  events: RawEvent[];
}

export function arbRun(o: GeneratorOptions, irqLines = 32): fc.Arbitrary<GeneratedRun> {
  const w = layoutWorld(o);
  return fc.record({ world: arbWorldParams(o), events: fc.array(arbWorldEvent(w, o, irqLines), { maxLength: o.steps }) });
}

/**
 * How many events of a generated list a failing run consumed (the driver records it), so that the
 * shrinker first drops the events that never ran.
 */
const CONSUMED = new WeakMap<readonly unknown[], number>();

/** Records that a failing run stopped after `used` events of the generated list. */
export function recordConsumed(events: readonly unknown[], used: number): void {
  CONSUMED.set(events, used);
}

/**
 * A list of exactly `length` values when generated (so a run's budget is its step count), shrunk
 * like a list: drop halves, quarters, ... down to single values (tail first), then shrink values.
 */
class FullList<T> extends fc.Arbitrary<T[]> {
  constructor(private readonly item: fc.Arbitrary<T>, private readonly length: number) {
    super();
  }
  generate(mrng: fc.Random, bias: number | undefined): fc.Value<T[]> {
    const items = Array.from({ length: this.length }, () => this.item.generate(mrng, bias));
    return this.wrap(items);
  }
  private wrap(items: fc.Value<T>[]): fc.Value<T[]> {
    return new fc.Value(items.map((v) => v.value_), items);
  }
  canShrinkWithoutContext(value: unknown): value is T[] {
    return false;
  }
  shrink(value: T[], context: unknown): fc.Stream<fc.Value<T[]>> {
    const items = context as fc.Value<T>[] | undefined;
    if (!items) return fc.Stream.nil();
    const self = this;
    const used = CONSUMED.get(value);
    function* removals(): Generator<fc.Value<T[]>> {
      // The events after the failing one never ran: drop them first.
      if (used !== undefined && used < items!.length) yield self.wrap(items!.slice(0, used));
      for (let k = items!.length >> 1 || 1; k >= 1 && items!.length > 0; k = k >> 1) {
        for (let start = items!.length - k; start >= 0; start -= k) yield self.wrap([...items!.slice(0, start), ...items!.slice(start + k)]);
        if (k === 1) break;
      }
    }
    function* elements(): Generator<fc.Value<T[]>> {
      for (let i = 0; i < items!.length; i++) {
        for (const s of self.item.shrink(items![i].value_, items![i].context)) yield self.wrap([...items!.slice(0, i), s, ...items!.slice(i + 1)]);
      }
    }
    return new fc.Stream(removals()).join(elements());
  }
}

/** A run of exactly `o.steps` random events (fewer only when shrunk). */
export function arbFullRun(o: GeneratorOptions, irqLines = 32): fc.Arbitrary<GeneratedRun> {
  const w = layoutWorld(o);
  return fc.record({ world: arbWorldParams(o), events: new FullList(arbWorldEvent(w, o, irqLines), o.steps) });
}

// ---------------------------------------------------------------------------------------------
// Running generated events: nonces, restart re-issue, skipped steps (trace-format.md "events").

/** The first nonce; every message the generator sends carries 0xC0DE0000 | n in mrs[0], n increasing. */
export const NONCE_BASE = 0xc0de0000;
export const isNonce = (w: number): boolean => (w & 0xffff0000) >>> 0 === NONCE_BASE;

const KINDLESS = ['irq', 'tick'];
const isDeviceEvent = (e: RawEvent) => KINDLESS.some((k) => k in e);
const isTrap = (e: RawEvent) => 'syscall' in e || 'load' in e || 'store' in e || 'exception' in e || ('invoke' in e && e.invoke !== 'DebugNameThread');

function isWatchdog(s: KernelState): boolean {
  const t = s.objects[s.curThread];
  return t?.tag === 'TCB' && t.name === WATCHDOG;
}

function isStopped(t: TCB): boolean {
  return t.state.tag !== 'Running' && t.state.tag !== 'Restart' && t.state.tag !== 'Idle';
}

/**
 * The threads the step set to Restart (seL4's restart(), cancelAllIPC, cancelBadgedSends, a fault
 * reply), told apart from those it woke with a delivery. A restarted thread that was chosen to run
 * in the same step is already Running again (activateThread), so the state alone does not say it:
 * a stopped thread that became runnable was restarted unless something was delivered to it (a
 * receiver's record changed, a caller's reply came without a fault pending) or it was a blocked
 * sender whose message a receive of this step took.
 */
export function restartedThreads(event: RawEvent, before: KernelState, after: KernelState): PPtr[] {
  if (after.objects === before.objects) return [];
  const out: PPtr[] = [];
  const receiveStep = 'syscall' in event && ['Recv', 'NBRecv', 'ReplyRecv'].includes(event.syscall as string);
  for (const k of Object.keys(after.objects)) {
    const p = Number(k);
    const a = after.objects[p];
    const b = before.objects[p];
    if (a === b || a.tag !== 'TCB' || b?.tag !== 'TCB' || !isStopped(b) || isStopped(a)) continue;
    let restarted: boolean;
    switch (b.state.tag) {
      case 'Inactive':
        restarted = true;
        break;
      case 'BlockedOnReply':
        restarted = a.state.tag === 'Restart' || b.fault !== null;
        break;
      case 'BlockedOnSend':
        restarted = a.state.tag === 'Restart' || !receiveStep;
        break;
      default:
        restarted = a.state.tag === 'Restart' || a.delivered === b.delivered;
    }
    if (restarted) out.push(p);
  }
  return out;
}

/** Runs one generated event on the kernel; false stops the run (a check failed). */
export type RunEvent = (raw: RawEvent) => boolean;

/**
 * Feeds generated events to a kernel as the threads' code would issue them: each message gets the
 * next nonce; a thread that the kernel restarted since its last event first re-issues that event
 * (same nonce); an event other than irq/tick while idle runs would be a skipped step, so it is
 * dropped (a failed precondition).
 */
export class TraceDriver {
  private nonce = 0;
  private readonly last = new Map<PPtr, RawEvent>();
  private readonly restarted = new Set<PPtr>();
  private woke = false;
  dropped = 0;
  reissued = 0;


  /** `wake`: the world, whose watchdog wakes everyone when all are blocked (none for hand-made traces). */
  constructor(private readonly run: RunEvent, private readonly state: () => KernelState, private readonly wake?: World) {}

  /**
   * The watchdog's code, a loop: wait on the IRQ's notification; when woken, acknowledge the IRQ,
   * then unblock each stopped thread once, as a user-level supervisor would: a message (NBSend)
   * for a receiver, a signal for a waiter, a receive (NBRecv) for a blocked sender, TCB_Resume
   * for an inactive thread or one waiting for a reply; then wait again. Random events never run
   * as the watchdog.
   */
  private watchdogStep(): boolean {
    const w = this.wake!;
    const s = this.state();
    let e: RawEvent | undefined;
    if (!this.started) this.started = true;
    else if (!this.cycle) {
      this.cycle = new Set();
      e = inv('IRQHandler_Ack', w.irqHandler);
    }
    if (!e && this.cycle) e = this.unblockNext(s, this.cycle);
    if (!e) {
      this.cycle = undefined;
      e = { syscall: 'Recv', cap: w.watchdogNtfn };
    } else if ('syscall' in e) e = this.withNonce(e);
    return this.issue(e, e);
  }

  private cycle: Set<PPtr> | undefined;

  /** The watchdog's next unblocking action, for a stopped thread it has not helped this cycle. */
  private unblockNext(s: KernelState, done: Set<PPtr>): RawEvent | undefined {
    const w = this.wake!;
    const root = bootLayout(s.config).rootCNode;
    const slotOf = (p: PPtr, slots: number[]) => slots.find((x) => (s.ctes[root + 16 * x]?.cap as { ptr?: number } | undefined)?.ptr === p);
    for (const slot of [1, ...w.tcbs]) {
      const p = (s.ctes[root + 16 * slot]?.cap as { ptr?: number; tag: string } | undefined);
      if (p?.tag !== 'ThreadCap' || p.ptr === undefined || done.has(p.ptr)) continue;
      const t = s.objects[p.ptr];
      if (t?.tag !== 'TCB' || !isStopped(t)) continue;
      done.add(p.ptr);
      const st = t.state;
      const eps = [...w.eps, ...w.badgedEps];
      if (st.tag === 'BlockedOnReceive') {
        const c = slotOf(st.ep, eps);
        if (c !== undefined) return { syscall: 'NBSend', cap: c, info: { label: 0 }, mrs: [] };
      } else if (st.tag === 'BlockedOnSend') {
        const c = slotOf(st.ep, eps);
        if (c !== undefined) return { syscall: 'NBRecv', cap: c };
      } else if (st.tag === 'BlockedOnNotification') {
        const c = slotOf(st.ntfn, [...w.ntfns, ...w.badgedNtfns]);
        if (c !== undefined) return { syscall: 'Send', cap: c, info: { label: 0 }, mrs: [] };
      }
      return inv('TCB_Resume', slot);
    }
    return undefined;
  }
  private started = false;

  /** Runs one generated event (and the re-issue that comes before it); false when the run stopped. */
  feed(intent: RawEvent): boolean {
    const s = this.state();
    if (s.curThread === s.idleThread && !isDeviceEvent(intent)) {
      if (this.wake === undefined || this.woke) {
        this.dropped++;
        return true;
      }
      // Everyone is blocked: the device raises the watchdog's line.
      this.woke = true;
      return this.issue({ irq: this.wake.irqLine }, { irq: this.wake.irqLine });
    }
    this.woke = false;
    if (this.wake && isWatchdog(s)) return this.watchdogStep();
    const cur = s.curThread;
    const prev = this.last.get(cur);
    if (this.restarted.has(cur) && prev && !isDeviceEvent(intent)) {
      this.reissued++;
      return this.issue({ ...prev, comment: 're-issue after restart' }, prev);
    }
    const e = this.withNonce(intent);
    return this.issue(e, e);
  }

  private issue(e: RawEvent, remembered: RawEvent): boolean {
    const before = this.state();
    const cur = before.curThread;
    if (!this.run(e)) return false;
    if (isTrap(e) && cur !== before.idleThread) {
      this.last.set(cur, remembered);
      this.restarted.delete(cur);
    }
    for (const t of restartedThreads(e, before, this.state())) if (this.last.has(t)) this.restarted.add(t);
    return true;
  }

  private withNonce(e: RawEvent): RawEvent {
    if (!('syscall' in e) || !MESSAGE_SYSCALLS.has(e.syscall as string) || this.nonce >= 0x10000) return e;
    const n = (NONCE_BASE | this.nonce++) >>> 0;
    return { ...e, mrs: ['0x' + n.toString(16), ...((e.mrs as unknown[] | undefined) ?? [])] };
  }
}
