// The checker's world (l4check check): several threads at several priorities, some in CSpaces of
// their own, bound notifications, an IRQ handler, spare frames, a page table, a page directory and
// a small untyped. These slots stay below 64, and every own CSpace (a radix-6 CNode with a 26-bit
// guard) holds its caps at the same slot numbers as the root CNode, so one cap pointer means the
// same object to every thread that has it.
//
// Above them, from slot 64, only the root CNode holds the probes: objects left in the states that
// the late checks of the VSpace and ASID decoders look at (unmapped frames of every size, a mapped
// page table with a second cap, a page directory whose ASID pool is gone and a frame mapped in it,
// a frame whose mapping another frame replaced, a 4 KiB untyped with a child), and the paths' props
// (docs/check.md "Paths"): the untyped of ep_doomed, whose revoke is a final endpoint delete, and
// a nest (a CNode holding the only cap to another), whose deletion leaves a Zombie. Some runs
// also fill the ASID table, or the root's ASID pool, during setup: the only way to the decoders'
// "nothing free" errors (DeleteFirst).

import fc from 'fast-check';
import type { Config } from '../../abi/config';
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
  /**
   * Traces a real seL4 can run (docs/trace-format.md "Traces a real kernel can run"): no exception,
   * irq or tick events, no faulting loads or stores, IPC buffers kept mapped in their threads' own
   * VSpace, no register writes a thread's code cannot survive, and a watchdog that needs no
   * interrupt. Absent (not false) in the default options, so that they stay as they were.
   */
  recordable?: boolean;
}

export const EVENT_KINDS = ['ipc', 'invoke', 'memory', 'exception', 'irq', 'tick', 'garbage'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const DEFAULT_GENERATOR_OPTIONS: GeneratorOptions = {
  threads: 4, endpoints: 3, notifications: 2, cspaces: 2, steps: 250,
  weights: { ipc: 30, invoke: 42, memory: 5, exception: 2, irq: 3, tick: 4, garbage: 6 },
};

/** A radix-6 CNode addressed at depth 32: guard 0 of 26 bits (seL4_CNode_CapData: size at bit 3). */
export const OWN_CNODE_RADIX = 6;
export const OWN_CSPACE_DATA = (32 - OWN_CNODE_RADIX) << 3;
export const LAST_SLOT = 2 ** OWN_CNODE_RADIX - 1;
export const IRQ_LINE = 5;
export const IRQ_PROBE_LINE = 6;
export const WATCHDOG = 'watchdog';
const WATCHDOG_PRIORITY = 254;
/** The recordable watchdog: below every thread, so that it runs exactly when all of them are blocked. */
const RECORDABLE_WATCHDOG_PRIORITY = 0;
/** The watchdog's IPC buffer address (its frame is the last spare one). */
export const WATCHDOG_BUFFER = 0x00240000;
/**
 * Where the watchdog restarts a thread it moves on. A fixed address, not the old pc + 4: a pc is
 * MR0 of the thread's fault messages, and a fault reply may have set it to a nonce.
 */
export const RECOVERY_PC = 0x00010000;
export const BUFFER_BASE = 0x00202000;
export const ROOT_UNTYPED = 17;
/** The root untyped the harness (watchdog) and the pool fill's page directories come from. */
export const HARNESS_UNTYPED = 19;

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
  /** The watchdog's IRQ handler (line `irqLine`): part of the harness, never drawn by random events. */
  irqHandler: number;
  irqLine: number;
  /** A second IRQ handler, for random events (line IRQ_PROBE_LINE, signalling the first notification through its badged cap). */
  irqProbe: number;
  /**
   * A cap to the fault endpoint minted with Read and Write only (no Grant, no GrantReply): some
   * threads' fault handler (a fault through it stops the thread) and a reduced cap to send through.
   */
  epReduced: number;
  /** An endpoint of its own untyped (probes.utDoomed), whose revoke is the final delete of it and of its queue. */
  epDoomed: number;
  /**
   * A cap to the fault endpoint minted with Read, Grant and GrantReply but no Write: some threads'
   * fault handler (seL4 sends nothing through it and stops the faulting thread), and a cap that
   * cannot send.
   */
  epNoWrite: number;
  /** A thread above the others that waits for the IRQ line and then resumes everyone (TraceDriver). */
  watchdog: number;
  /** The watchdog's own notification, which the IRQ handler signals. */
  watchdogNtfn: number;
  firstFree: number;
  /** The probes, root-only slots from 64 (see the header). */
  probes: Probes;
  /** Names of the slots, for reports. */
  slotNames: Map<number, string>;
  /**
   * The harness's own caps to root's and each world thread's TCB ([root, ...tcbs]), from which the
   * watchdog helps them: the originals, moved here in setup, while the world's slots (1, `tcbs`)
   * hold copies that random events may delete, move or revoke without leaving a thread beyond help.
   */
  harnessTcbs: number[];
  /** Slots random events never draw: the harness (the watchdog, its notification and IRQ handler, their untyped, its thread caps). */
  harness: number[];
  threadNames: string[];
  /** GeneratorOptions.recordable. */
  recordable: boolean;
}

export interface Probes {
  /** Unmapped frames: small ones, a 64 KiB and a 1 MiB one. */
  spareFrames: number[];
  largePage: number;
  section: number;
  /** A second unmapped page table and a second unassigned page directory. */
  pageTable2: number;
  pageDirectory2: number;
  /** A page table mapped at MAPPED_PT_VADDR, and a second cap to it (so neither is final). */
  mappedPT: number;
  ptCopy: number;
  /** A page directory with an ASID whose pool setup deleted (lookups of it fail). */
  orphanPD: number;
  /** The 4 KiB untyped that held that pool: free again. */
  poolUntyped: number;
  /** A 4 KiB untyped with a child (an endpoint, in `parentChild`). */
  parentUntyped: number;
  parentChild: number;
  /** A 1 MiB frame mapped in orphanPD before its pool went (its lookups fail). */
  orphanFrame: number;
  /** A small frame mapped at STALE_VADDR, then replaced there by overFrame: its mapping record is stale. */
  staleFrame: number;
  overFrame: number;
  /** The 4 KiB untyped that epDoomed comes from. */
  utDoomed: number;
  /** A CNode of 4 slots whose slot 0 holds the only cap to another CNode: deleting it leaves a Zombie. */
  nest: number;
  /** Where setup makes the inner CNode before moving its cap into the nest (empty after setup). */
  nestInner: number;
  /** A copy of the first notification cap with Read only: IRQHandler_SetNotification refuses it. */
  readOnlyNtfn: number;
  /** A badged copy of parentChild without GrantReply: CancelBadgedSends needs full rights (IllegalOperation). */
  weakEp: number;
}

/** Where the probes' mapped page table sits: the 1 MiB region above the IPC buffers' one. */
export const MAPPED_PT_VADDR = 0x00400000;
/** Where overFrame is mapped over staleFrame (in the mapped page table, away from Page_Map's addresses). */
export const STALE_VADDR = MAPPED_PT_VADDR + 0x40000;
/** Where orphanFrame is mapped in orphanPD. */
const ORPHAN_VADDR = 0x00800000;
const PROBES_BASE = 64;
/** The harness's thread caps (World.harnessTcbs): root CNode slots above every random pool. */
const HARNESS_TCBS_BASE = 200;
/** The slots of the fills: untypeds and pools (table fill), page directories (pool fill). */
const TABLE_FILL_UNTYPED = 512;
const TABLE_FILL_POOL = 640;
const POOL_FILL_PD = 1024;
/** Free slots of the root CNode only (above the probes), so that destinations do not run out. */
export const ROOT_FREE = { first: 96, count: 96 } as const;

/** Invocation arguments that give a slot index inside a CNode the event names (besides the cap arguments). */
export const SLOT_INDEX_ARG = /^(index|srcIndex|destIndex|pivotIndex|nodeOffset)$/;
/** ASID pools besides the root's, and ASIDs of the root's pool besides 0 and root's own (aarch32). */
const SPARE_POOLS = 127;
const SPARE_ASIDS = 1022;

export function layoutWorld(o: GeneratorOptions): World {
  let next = 20;
  const take = (n: number) => Array.from({ length: n }, () => next++);
  const w: World = {
    eps: take(o.endpoints), ntfns: take(o.notifications), tcbs: take(o.threads), cnodes: take(o.cspaces),
    frames: take(o.threads + 2), pageTable: next++, pageDirectory: next++, untyped: next++,
    badgedEps: [], badgedNtfns: [], irqHandler: 0, irqLine: IRQ_LINE, irqProbe: 0, epReduced: 0, epDoomed: 0, epNoWrite: 0, watchdog: 0, watchdogNtfn: 0, firstFree: 0, probes: undefined as unknown as Probes,
    slotNames: new Map(), harnessTcbs: [], harness: [], threadNames: Array.from({ length: o.threads }, (_, i) => `t${i + 1}`),
    recordable: o.recordable === true,
  };
  w.badgedEps = take(o.endpoints);
  w.badgedNtfns = take(o.notifications);
  w.irqHandler = next++;
  w.irqProbe = next++;
  w.watchdog = next++;
  w.watchdogNtfn = next++;
  w.epReduced = next++;
  w.epDoomed = next++;
  w.epNoWrite = next++;
  w.firstFree = next;
  if (w.firstFree > LAST_SLOT - 4) throw new RangeError('generator: too many objects for the 64-slot world (fewer threads, endpoints or notifications)');
  next = PROBES_BASE;
  // Objects retyped together sit in consecutive slots.
  w.probes = {
    spareFrames: take(3), largePage: next++, section: next++, pageTable2: next++, mappedPT: next++, pageDirectory2: next++,
    orphanPD: next++, poolUntyped: next++, parentUntyped: next++, parentChild: next++, ptCopy: next++,
    orphanFrame: next++, staleFrame: next++, overFrame: next++, utDoomed: next++, nest: next++, nestInner: next++, readOnlyNtfn: next++, weakEp: next++,
  };
  const name = (slots: number[], p: string) => slots.forEach((s, i) => w.slotNames.set(s, `${p}${i}`));
  for (const [s, n] of [[1, 'rootTCB'], [2, 'rootCNode'], [3, 'rootPD'], [4, 'irqControl'], [5, 'asidControl'], [6, 'asidPool'], [10, 'rootBuffer'], [16, 'rootPT'], [17, 'ut17'], [18, 'ut18'], [19, 'ut19']] as const) w.slotNames.set(s, n);
  name(w.eps, 'ep');
  name(w.ntfns, 'ntfn');
  w.tcbs.forEach((s, i) => w.slotNames.set(s, `tcb_${w.threadNames[i]}`));
  name(w.cnodes, 'cnode');
  name(w.frames, 'frame');
  name(w.badgedEps, 'ep_badged');
  name(w.badgedNtfns, 'ntfn_badged');
  w.slotNames.set(w.pageTable, 'pt').set(w.pageDirectory, 'pd').set(w.untyped, 'ut').set(w.irqHandler, 'irqHandler').set(w.irqProbe, 'irqProbe').set(w.watchdog, 'tcb_watchdog').set(w.watchdogNtfn, 'ntfn_watchdog')
    .set(w.epReduced, 'ep_reduced').set(w.epDoomed, 'ep_doomed').set(w.epNoWrite, 'ep_nowrite');
  w.harnessTcbs = Array.from({ length: o.threads + 1 }, (_, i) => HARNESS_TCBS_BASE + i);
  w.harnessTcbs.forEach((s, i) => w.slotNames.set(s, `harness_tcb_${i === 0 ? 'root' : w.threadNames[i - 1]}`));
  w.harness = [w.irqHandler, w.watchdog, w.watchdogNtfn, HARNESS_UNTYPED, ...w.harnessTcbs];
  const P = w.probes;
  name(P.spareFrames, 'frame_spare');
  for (const k of ['largePage', 'section', 'pageTable2', 'pageDirectory2', 'mappedPT', 'ptCopy', 'orphanPD', 'poolUntyped', 'parentUntyped', 'parentChild', 'orphanFrame', 'staleFrame', 'overFrame', 'utDoomed', 'nest', 'readOnlyNtfn', 'weakEp'] as const) w.slotNames.set(P[k], k);
  return w;
}

export type AsidFill = 'none' | 'table' | 'pool';

/** The ASID methods, which a run with an ASID fill draws more often (arbFullRun). */
export const ASID_METHODS = ['ASIDControl_MakePool', 'ASIDPool_Assign'] as const;

/** What the setup phase varies per run. */
export interface WorldParams {
  priorities: number[];
  /** Root's priority once setup is done (threads above it run at once). */
  rootPriority: number;
  /** Thread i has the fault endpoint (the last endpoint, through its badged cap for odd i) or none. */
  faultHandler: boolean[];
  /** Thread i's fault endpoint is epReduced instead (when it has one): its faults stop it. Absent: none is. */
  reducedHandler?: boolean[];
  /** Thread i's fault endpoint is epNoWrite instead (when it has one and it is not reduced): its faults stop it. Absent: none is. */
  noWriteHandler?: boolean[];
  /** For each notification, the thread it is bound to (or -1). */
  boundTo: number[];
  /** Setup fills the ASID table (every pool made) or the root's pool (every ASID assigned). */
  asidFill: AsidFill;
}

export function arbWorldParams(o: GeneratorOptions, asidFill: AsidFill = 'none'): fc.Arbitrary<WorldParams> {
  const prio = fc.constantFrom(100, 150, 200, 100, 60);
  return fc.record({
    // Sometimes every thread shares one priority: long ready queues (round robin, lazy scheduling's cost).
    priorities: fc.oneof(
      { weight: 3, arbitrary: fc.array(prio, { minLength: o.threads, maxLength: o.threads }) },
      { weight: 1, arbitrary: prio.map((p) => Array.from({ length: o.threads }, () => p)) },
    ),
    rootPriority: fc.constantFrom(255, 120, 80),
    faultHandler: fc.array(fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), { minLength: o.threads, maxLength: o.threads }),
    reducedHandler: fc.array(fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }), { minLength: o.threads, maxLength: o.threads }),
    noWriteHandler: fc.array(fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }), { minLength: o.threads, maxLength: o.threads }),
    boundTo: fc.array(fc.integer({ min: -1, max: o.threads - 1 }), { minLength: o.notifications, maxLength: o.notifications })
      .map((b) => b.map((t, i) => (b.indexOf(t) === i ? t : -1))),
    asidFill: fc.constant(asidFill),
  });
}

export const inv = (method: string, cap: number, args: Record<string, unknown> = {}): RawEvent =>
  (Object.keys(args).length > 0 ? { invoke: method, cap, args } : { invoke: method, cap });

/** The setup phase: root builds the world (every invocation succeeds). */
export function worldSetup(w: World, p: WorldParams): RawEvent[] {
  const out: RawEvent[] = [];
  const retypeAt = (type: string, sizeBits: number, slots: number[]) => {
    if (slots.length > 0) out.push(retype(ROOT_UNTYPED, type, slots, sizeBits));
  };
  retypeAt('Endpoint', 0, w.eps);
  retypeAt('Notification', 0, w.ntfns);
  retypeAt('TCB', 0, w.tcbs);
  // The harness keeps the original thread caps (World.harnessTcbs); the world's slots get copies.
  [1, ...w.tcbs].forEach((t, i) => out.push(
    inv('CNode_Move', 2, { destIndex: w.harnessTcbs[i], destDepth: 32, srcRoot: 2, srcIndex: t, srcDepth: 32 }),
    inv('CNode_Copy', 2, { destIndex: t, destDepth: 32, srcRoot: 2, srcIndex: w.harnessTcbs[i], srcDepth: 32, rights: 'RWGP' }),
  ));
  retypeAt('CNode', OWN_CNODE_RADIX, w.cnodes);
  retypeAt('SmallPage', 0, w.frames);
  retypeAt('PageTable', 0, [w.pageTable]);
  retypeAt('PageDirectory', 0, [w.pageDirectory]);
  retypeAt('Untyped', 12, [w.untyped]);
  // The harness's objects come from the third root untyped, which random events never name: a
  // revoke of the world's untyped (17) must not take the watchdog with it.
  out.push(retype(HARNESS_UNTYPED, 'TCB', [w.watchdog]), retype(HARNESS_UNTYPED, 'Notification', [w.watchdogNtfn]));
  const mint = (cnode: number, depth: number, dest: number, src: number, rights: string, badge: number) =>
    out.push(inv('CNode_Mint', cnode, { destIndex: dest, destDepth: depth, srcRoot: 2, srcIndex: src, srcDepth: 32, rights, badge }));
  const copy = (cnode: number, dest: number, src: number) =>
    out.push(inv('CNode_Copy', cnode, { destIndex: dest, destDepth: OWN_CNODE_RADIX, srcRoot: 2, srcIndex: src, srcDepth: 32, rights: 'RWGP' }));
  // The last endpoint's badged cap has no Grant (Read, Write, GrantReply): a receiver through it
  // gets reply caps without Grant, senders through it transfer no caps, and as a fault handler cap
  // it has GrantReply alone (which seL4 accepts).
  const last = w.eps.length - 1;
  w.eps.forEach((ep, i) => mint(2, 32, w.badgedEps[i], ep, i === last ? 'RWP' : 'RWGP', i + 1));
  w.ntfns.forEach((n, i) => mint(2, 32, w.badgedNtfns[i], n, 'RW', 1 << i));
  const faultEP = w.eps[w.eps.length - 1];
  mint(2, 32, w.epReduced, faultEP, 'RW', 0);
  mint(2, 32, w.epNoWrite, faultEP, 'RGP', 0);
  out.push(retype(ROOT_UNTYPED + 1, 'Untyped', [w.probes.utDoomed], 12), retype(w.probes.utDoomed, 'Endpoint', [w.epDoomed]));
  w.cnodes.forEach((cn, k) => {
    copy(cn, 1, w.tcbs[k]);
    mint(cn, OWN_CNODE_RADIX, 2, cn, 'RWGP', OWN_CSPACE_DATA);
    copy(cn, 3, 3);
    w.eps.forEach((ep, i) => (i === 0 ? mint(cn, OWN_CNODE_RADIX, ep, ep, 'RWGP', 10 + k) : copy(cn, ep, ep)));
    for (const s of [...w.ntfns, ...w.badgedEps, ...w.badgedNtfns, w.epReduced, w.epDoomed, w.epNoWrite]) copy(cn, s, s);
  });
  w.tcbs.forEach((_, i) => out.push(inv('Page_Map', w.frames[i], { vspace: 3, vaddr: BUFFER_BASE + i * 0x1000, rights: 'RW', attr: 0 })));
  // Threads take the last endpoint as their fault handler, every other one through its badged cap
  // (GrantReply without Grant); a reduced handler (no Grant or GrantReply) or one without Write
  // stops the thread.
  const faultEPs = [faultEP, w.badgedEps[last]];
  const handler = (i: number) =>
    (!p.faultHandler[i] ? 0 : p.reducedHandler?.[i] === true ? w.epReduced : p.noWriteHandler?.[i] === true ? w.epNoWrite : faultEPs[i % 2]);
  w.tcbs.forEach((t, i) => {
    const own = i < w.cnodes.length;
    out.push(inv('TCB_Configure', t, {
      faultEP: handler(i), cspaceRoot: own ? w.cnodes[i] : 2, cspaceRootData: own ? OWN_CSPACE_DATA : 0,
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
  out.push(inv('IRQControl_Get', 4, { irq: IRQ_PROBE_LINE, root: 2, index: w.irqProbe, depth: 32 }));
  // Through a badged cap, so that what an interrupt delivers shows the line's badge.
  out.push(inv('IRQHandler_SetNotification', w.irqProbe, { notification: w.badgedNtfns[0] ?? w.ntfns[0] }));
  out.push(...probesSetup(w));
  if (p.asidFill === 'table') out.push(...tableFill());
  if (p.asidFill === 'pool') out.push(...poolFill());
  const spare = w.frames[w.frames.length - 1];
  // A real watchdog reads what it receives through its own mapping of its buffer.
  if (w.recordable) out.push(inv('Page_Map', spare, { vspace: 3, vaddr: WATCHDOG_BUFFER, rights: 'RW', attr: 0 }));
  out.push(inv('TCB_Configure', w.watchdog, { faultEP: 0, cspaceRoot: 2, cspaceRootData: 0, vspaceRoot: 3, vspaceRootData: 0, buffer: WATCHDOG_BUFFER, bufferFrame: spare }));
  out.push(inv('TCB_SetPriority', w.watchdog, { authority: 1, priority: w.recordable ? RECORDABLE_WATCHDOG_PRIORITY : WATCHDOG_PRIORITY }));
  out.push({ invoke: 'DebugNameThread', cap: w.watchdog, args: { name: WATCHDOG } });
  out.push(inv('TCB_Resume', w.watchdog));
  for (const t of w.tcbs) out.push(inv('TCB_Resume', t));
  if (p.rootPriority !== 255) out.push(inv('TCB_SetPriority', 1, { authority: 1, priority: p.rootPriority }));
  return out;
}

// Random events for the world: mostly well-formed (caps of the right kind, free destination slots,
// aligned addresses), with a share of garbage. Message syscalls are generated without their nonce:
// `TraceDriver` puts it in mrs[0] when the event runs.

/** Retype into `slots`, which must be consecutive. */
function retype(ut: number, type: string, slots: number[], sizeBits = 0): RawEvent {
  if (slots.some((x, i) => x !== slots[0] + i)) throw new RangeError(`generator: retype into slots that are not consecutive (${slots})`);
  return inv('Untyped_Retype', ut, { type, sizeBits, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: slots[0], numObjects: slots.length });
}
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

/** The nest's radix (probes.nest). */
const NEST_RADIX = 2;

/** The probes (see the header), from the second root untyped: the 1 MiB frame first, for its alignment. */
function probesSetup(w: World): RawEvent[] {
  const P = w.probes;
  const ut = ROOT_UNTYPED + 1;
  // The pool lives in the page-table copy's slot until setup deletes it.
  const pool = P.ptCopy;
  return [
    retype(ut, 'Section', [P.section]),
    retype(ut, 'Section', [P.orphanFrame]),
    retype(ut, 'LargePage', [P.largePage]),
    retype(ut, 'SmallPage', P.spareFrames),
    retype(ut, 'SmallPage', [P.staleFrame, P.overFrame]),
    retype(ut, 'PageTable', [P.pageTable2, P.mappedPT]),
    retype(ut, 'PageDirectory', [P.pageDirectory2, P.orphanPD]),
    retype(ut, 'Untyped', [P.poolUntyped, P.parentUntyped], 12),
    retype(P.parentUntyped, 'Endpoint', [P.parentChild]),
    inv('ASIDControl_MakePool', 5, { untyped: P.poolUntyped, root: 2, index: pool, depth: 32 }),
    inv('ASIDPool_Assign', pool, { vspace: P.orphanPD }),
    inv('Page_Map', P.orphanFrame, { vspace: P.orphanPD, vaddr: ORPHAN_VADDR, rights: 'RW', attr: 0 }),
    inv('CNode_Delete', 2, { index: pool, depth: 32 }),
    inv('PageTable_Map', P.mappedPT, { vspace: 3, vaddr: MAPPED_PT_VADDR, attr: 0 }),
    inv('CNode_Copy', 2, { destIndex: P.ptCopy, destDepth: 32, srcRoot: 2, srcIndex: P.mappedPT, srcDepth: 32, rights: 'RWGP' }),
    inv('Page_Map', P.staleFrame, { vspace: 3, vaddr: STALE_VADDR, rights: 'RW', attr: 0 }),
    inv('Page_Map', P.overFrame, { vspace: 3, vaddr: STALE_VADDR, rights: 'RW', attr: 0 }),
    retype(ut, 'CNode', [P.nest], NEST_RADIX),
    retype(ut, 'CNode', [P.nestInner], 1),
    inv('CNode_Move', P.nest, { destIndex: 0, destDepth: NEST_RADIX, srcRoot: 2, srcIndex: P.nestInner, srcDepth: 32 }),
    inv('CNode_Mint', 2, { destIndex: P.readOnlyNtfn, destDepth: 32, srcRoot: 2, srcIndex: w.ntfns[0], srcDepth: 32, rights: 'R', badge: 0 }),
    inv('CNode_Mint', 2, { destIndex: P.weakEp, destDepth: 32, srcRoot: 2, srcIndex: P.parentChild, srcDepth: 32, rights: 'RWG', badge: 7 }),
  ];
}

/** Every ASID pool made: 127 untypeds of 4 KiB (from the second root untyped), each made a pool. */
function tableFill(): RawEvent[] {
  const uts = range(TABLE_FILL_UNTYPED, SPARE_POOLS);
  return [
    retype(ROOT_UNTYPED + 1, 'Untyped', uts, 12),
    ...uts.map((u, i) => inv('ASIDControl_MakePool', 5, { untyped: u, root: 2, index: TABLE_FILL_POOL + i, depth: 32 })),
  ];
}

/** Every ASID of the root's pool assigned: 1022 page directories from the third root untyped (16 MiB, see runConfig). */
function poolFill(): RawEvent[] {
  const pds = range(POOL_FILL_PD, SPARE_ASIDS);
  const out: RawEvent[] = [];
  for (let i = 0; i < pds.length; i += 256) out.push(retype(HARNESS_UNTYPED, 'PageDirectory', pds.slice(i, i + 256)));
  for (const pd of pds) out.push(inv('ASIDPool_Assign', 6, { vspace: pd }));
  return out;
}

/**
 * The configuration a run boots: the check's, except that a pool fill needs 16 MiB for its page
 * directories. It then runs on 32 MiB with the third root untyped that big (the other two as in
 * the default layout), so that every slot of the world stays where it is.
 */
export function runConfig(base: Config, p: Pick<WorldParams, 'asidFill'>): Config {
  if (p.asidFill !== 'pool') return base;
  return { ...base, memoryBits: 25, untyped: [...base.untyped.slice(0, 2), { paddr: 0x01000000, sizeBits: 24 }] };
}
