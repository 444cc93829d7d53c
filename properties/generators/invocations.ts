// Invocations for the world. Each argument (the invoked cap counts as one) has good values, that
// pass its check, and bad ones, that fail it in each of the ways seL4's decoder tells apart. An
// invocation is drawn with every argument good, or with exactly one bad, or with every argument
// drawn on its own (garbage). Exactly one bad argument reaches each check with the ones before it
// passing, which the late errors (RevokeFirst, DeleteFirst, AlignmentError) need.

import fc from 'fast-check';
import { METHODS, METHOD_NAMES, type MethodName } from '../../abi/invocations';
import { OBJECT_TYPES } from '../../abi/objecttype';
import { defaultConfig, type IrqConfig, timerIrq } from '../../abi/config';
import { N_USER_REGISTERS } from '../../abi/registers';
import { ROOT_IPC_BUFFER_VADDR, ROOT_SLOTS } from '../../abi/boot';
import { type RawEvent, arbDeviceLine, u32 } from './basic';
import { type SlotPools, often, pick, slotPools } from './choices';
import { BUFFER_BASE, IRQ_LINE, IRQ_PROBE_LINE, LAST_SLOT, MAPPED_PT_VADDR, OWN_CSPACE_DATA, RECOVERY_PC, ROOT_UNTYPED, STALE_VADDR, type World } from './world';

/** An argument's good values, and its bad ones by kind (each kind fails a different check, or the same one differently). */
interface ArgChoice {
  good: fc.Arbitrary<unknown>;
  bad: fc.Arbitrary<unknown>[];
}

const MB = 0x00100000;
const USER_TOP = 0xe0000000;

/** The world's slots by what they hold and the state it is in. */
function slotSets(w: World) {
  const P = w.probes;
  const buffers = w.frames.slice(0, w.tcbs.length);
  return {
    tcbs: [...w.tcbs, 1],
    endpoints: [...w.eps, ...w.badgedEps, w.epReduced, w.epDoomed, w.epNoWrite],
    notifications: [...w.ntfns, ...w.badgedNtfns],
    mappedFrames: [...buffers, 10],
    /** Frames a flush succeeds on (mapped, and the mapping holds); one mapped in a space that is gone; one whose entry another frame replaced. */
    flushable: [...buffers, 10, P.overFrame],
    orphanFrames: [P.orphanFrame],
    staleFrames: [P.staleFrame],
    unmappedFrames: [...w.frames.slice(w.tcbs.length), ...P.spareFrames, P.largePage, P.section],
    unmappedPTs: [w.pageTable, P.pageTable2],
    mappedPTs: [P.mappedPT, P.ptCopy],
    freePDs: [w.pageDirectory, P.pageDirectory2],
    /** Untypeds with children: deriving their caps gives RevokeFirst. */
    parents: [ROOT_UNTYPED, P.parentUntyped],
    /** 4 KiB untypeds without children (ASID pools are made of them). */
    childless4K: [w.untyped, P.poolUntyped],
    /** Caps a copy of which is a valid cap (deriveCap succeeds). */
    copyable: [...w.eps, ...w.badgedEps, ...w.ntfns, ...w.tcbs, ...buffers, P.mappedPT, ...P.spareFrames, w.irqProbe, 3],
    /** Caps whose move loses little (no endpoint or notification, which Mutate/Rotate cannot rebadge). */
    movable: [...P.spareFrames, P.largePage, P.ptCopy, ...w.frames.slice(w.tcbs.length), P.pageTable2],
    /** Caps that do not derive: IRQControl (to NullCap), an unmapped page table or directory. */
    underivable: [4, w.pageTable, w.pageDirectory],
  };
}

type Sets = ReturnType<typeof slotSets>;

const g = (good: fc.Arbitrary<unknown>, ...bad: fc.Arbitrary<unknown>[]): ArgChoice => ({ good, bad });
const slots = (good: readonly number[], ...bad: (readonly number[])[]): ArgChoice => g(pick(good), ...bad.filter((b) => b.length > 0).map(pick));
/** A depth: RangeError outside 1..32, FailedLookup when it does not resolve the slot. */
const depth: ArgChoice = g(fc.constant(32), fc.constantFrom(0, 33, 40), fc.constantFrom(6, 12));

/**
 * Page_Map by frame size: the invoked frame (unmapped, else a mapped one or another cap) and the
 * address, good for that size, or misaligned, or over a mapping of another size (DeleteFirst), or
 * where no page table is (FailedLookup), or above USER_TOP.
 */
function pageMapBySize(w: World): { cap: number[]; vaddr: ArgChoice }[] {
  const P = w.probes;
  const noTable = fc.constantFrom(7 * MB, 9 * MB);
  const high = fc.constantFrom(USER_TOP, 0xfff00000);
  return [
    {
      cap: [...w.frames.slice(w.tcbs.length), ...P.spareFrames],
      vaddr: g(fc.oneof(fc.integer({ min: 0x206, max: 0x20f }).map((p) => p * 0x1000), fc.constantFrom(0x00200000, MAPPED_PT_VADDR + 0x3000)),
        fc.constantFrom(0x00202004, 0x00206800), noTable, high, fc.constant(MAPPED_PT_VADDR + 0x11000)),
    },
    {
      cap: [P.largePage],
      vaddr: g(fc.constantFrom(MAPPED_PT_VADDR + 0x10000, MAPPED_PT_VADDR + 0x20000), fc.constantFrom(MAPPED_PT_VADDR + 0x1000, 0x00206000), fc.constant(0x00200000), noTable, high),
    },
    {
      cap: [P.section],
      vaddr: g(fc.constantFrom(5 * MB, 6 * MB), fc.constantFrom(MAPPED_PT_VADDR + 0x10000, 0x00280000), fc.constantFrom(2 * MB, MAPPED_PT_VADDR), high),
    },
  ];
}

/**
 * A page directory's flush range (start, end) by where it starts: in a mapped 4 KiB page (the
 * root's IPC buffer and bootinfo, the threads' buffers, overFrame), where nothing is mapped
 * (success without a flush), or in the last user page. A good range stays in the page; a bad start
 * lies in the page before (RangeError when that one is mapped); a bad end is at or
 * below start (InvalidArgument(1)), in the next page (RangeError), or above USER_TOP
 * (IllegalOperation).
 */
function pdFlushRanges(w: World): { start: ArgChoice; end: ArgChoice }[] {
  const bases = [0x00200000, 0x00201000, ...w.tcbs.map((_, i) => BUFFER_BASE + i * 0x1000), STALE_VADDR, 7 * MB, USER_TOP - 0x1000];
  return bases.map((b) => ({
    start: g(fc.integer({ min: b, max: b + 0xff }), fc.constant(b - 0x10)),
    end: g(fc.integer({ min: b + 0x100, max: b + 0x1000 }), fc.constant(b), fc.constant(b + 0x1010), fc.constant(USER_TOP + 1)),
  }));
}

/** A frame's flush offsets: inside a 4 KiB page, or the end at or below the start, or past the end of any frame. */
const FLUSH_OFFSETS: Record<string, ArgChoice> = {
  start_offset: g(fc.integer({ min: 0, max: 0xff }), fc.constant(0x1000)),
  end_offset: g(fc.integer({ min: 0x100, max: 0x1000 }), fc.constant(0), fc.constantFrom(0x01000001, 0xffffffff)),
};

/** The choices for one argument of one method. */
function argChoice(w: World, S: Sets, P: SlotPools, irq: IrqConfig, m: MethodName, name: string): ArgChoice {
  const free = P.free;
  const used = P.all;
  switch (`${m}.${name}`) {
    case 'CNode_Move.srcIndex': case 'CNode_Mutate.srcIndex':
      return slots(S.movable, free, S.endpoints);
    // Rotate sometimes moves an own CSpace's CNode cap: the only caps its data words change.
    case 'CNode_Rotate.srcIndex': case 'CNode_Rotate.pivotIndex':
      return slots(S.movable, free, S.endpoints, w.cnodes);
    // Mint also derives an own CSpace's CNode cap, with the cap data a guard is decoded from.
    case 'CNode_Mint.srcIndex': return slots([...S.copyable, ...w.cnodes], free, S.parents, S.underivable, S.childless4K);
    // Sometimes a badged endpoint cap without full rights (IllegalOperation).
    case 'CNode_CancelBadgedSends.index': return slots(S.endpoints, [...S.tcbs, ...S.mappedFrames], [w.probes.weakEp]);
    case 'TCB_BindNotification.notification': return slots(S.notifications, S.endpoints, S.tcbs);
    case 'IRQHandler_SetNotification.notification': return slots(S.notifications, [w.probes.readOnlyNtfn], S.endpoints, free);
    case 'ASIDControl_MakePool.untyped': return slots(S.childless4K, [w.probes.parentUntyped], [18], S.endpoints);
    case 'ASIDPool_Assign.vspace': return slots(S.freePDs, [3], S.endpoints);
    case 'PageTable_Map.vaddr': return g(fc.integer({ min: 5, max: 12 }).map((i) => i * MB), fc.constantFrom(USER_TOP, 0xf0000000), fc.constantFrom(2 * MB, MAPPED_PT_VADDR));
  }
  switch (name) {
    case 'destIndex': return g(pick(free), pick(used), fc.constant(5000));
    // The last slot of an own CSpace's CNode is a valid offset (the bound of the RangeError).
    case 'nodeOffset': return g(fc.oneof({ weight: 3, arbitrary: pick(free) }, { weight: 1, arbitrary: fc.constant(LAST_SLOT) }), pick(used), fc.constant(5000));
    // Deletions and revokes also aim at the paths' props: the nest (a Zombie) and ep_doomed's untyped
    // (a final endpoint delete); and at the caps that Copy and Mint put in the free slots.
    case 'index': return /Revoke|Delete/.test(m) ? g(fc.oneof({ weight: 4, arbitrary: pick(used) }, { weight: 1, arbitrary: fc.constant(m === 'CNode_Revoke' ? w.probes.utDoomed : w.probes.nest) }), u32, pick(free)) : g(pick(free), pick(used));
    // Sometimes a childless untyped: its copy marks it full (seL4 setUntypedCapAsFull).
    case 'srcIndex': case 'pivotIndex': return slots(S.copyable, free, S.parents, S.underivable, S.childless4K);
    case 'depth': case 'destDepth': case 'srcDepth': case 'pivotDepth': return depth;
    case 'root': case 'srcRoot': case 'pivotRoot': return slots([2], [...S.tcbs, ...S.endpoints]);
    // Mostly the invoked root itself (depth 0); sometimes an own CSpace's CNode (depth 32), whose
    // last slot is the bound of the node offset's RangeError.
    case 'nodeIndex': return g(w.cnodes.length > 0 ? fc.oneof(fc.constant(0), pick(w.cnodes)) : fc.constant(0), pick(used));
    case 'nodeDepth': return g(fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.constant(32), weight: 1 }), fc.constantFrom(32, 6, 40));
    case 'type': return g(pick(OBJECT_TYPES), fc.integer({ min: OBJECT_TYPES.length, max: 40 }));
    case 'sizeBits': return g(fc.constantFrom(0, 0, 4, 5, 6, 12), fc.integer({ min: 13, max: 40 }));
    case 'numObjects': return g(fc.integer({ min: 1, max: 3 }), fc.constantFrom(0, 300, 5000));
    case 'rights': return g(pick(['RWGP', 'RW', 'R', 'W', 'RWG', 'RG', 'RWP', 'WP']), fc.integer({ min: 0, max: 15 }));
    // 0x108 as CNode cap data: guard 1 of 1 bit (seL4_CNode_CapData), a guard bit that matters.
    case 'badge': case 'destBadge': case 'pivotBadge': return g(fc.oneof({ arbitrary: fc.nat({ max: 20 }), weight: 4 }, { arbitrary: fc.constant(0x108), weight: 1 }));
    // ReadRegisters takes 1..19 (N_USER_REGISTERS); WriteRegisters' stub message holds 19. The
    // edges (18, 19 and 20: the thread ID registers and just past them) come often.
    case 'count': return g(fc.oneof(fc.integer({ min: 0, max: N_USER_REGISTERS }), fc.constantFrom(N_USER_REGISTERS - 1, N_USER_REGISTERS)),
      fc.oneof(fc.constant(N_USER_REGISTERS + 1), fc.integer({ min: N_USER_REGISTERS + 1, max: 200 })));
    case 'archFlags': return g(fc.constant(0), fc.nat({ max: 255 }));
    case 'regs': return g(fc.array(fc.nat({ max: 0xffff }), { maxLength: N_USER_REGISTERS }));
    case 'suspendSource': case 'resumeTarget': case 'transferFrame': case 'transferInteger': return g(fc.boolean());
    case 'source': return slots(S.tcbs, S.endpoints, free);
    // Root's MCP is 255; the other threads' 0 (a RangeError, as a too high priority).
    case 'authority': return slots([1], S.endpoints, w.tcbs);
    // Now and then the edges: 255 is exactly the root's MCP and 0 the other threads', 256 just above any.
    case 'priority': case 'mcp': return g(often(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 255), 9), often(fc.integer({ min: 256, max: 300 }), fc.constant(256), 9));
    // A free slot may later hold a minted endpoint cap with fewer rights (a handler without Write or Grant).
    case 'faultEP': return g(pick([0, ...S.endpoints]), pick(free), fc.constantFrom(99, 0xffffffff));
    case 'cspaceRoot': return slots([2], S.parents, [...S.tcbs, ...S.endpoints]);
    case 'cspaceRootData': case 'vspaceRootData': return g(fc.constant(0), fc.constantFrom(OWN_CSPACE_DATA, 1, 0x20));
    case 'vspaceRoot': return slots([3], S.freePDs, S.parents, S.endpoints);
    case 'buffer': return g(fc.integer({ min: 0, max: 7 }).map((i) => BUFFER_BASE + i * 0x1000), fc.constantFrom(0x00202004, 0x00202100, 0x00202010));
    case 'bufferFrame': return slots([...S.mappedFrames, ...S.unmappedFrames], S.parents, [...S.endpoints, ...S.tcbs]);
    case 'vspace': return slots([3], S.freePDs, [w.probes.orphanPD], S.endpoints);
    case 'attr': return g(fc.constant(0), u32);
    // A free device line; an issued one or the timer's (RevokeFirst, twice as often: on a platform
    // with many lines a good draw rarely repeats an issued one); one past maxIRQ (RangeError).
    case 'irq': {
      const issued = fc.constantFrom(IRQ_LINE, IRQ_PROBE_LINE, timerIrq(irq));
      return g(arbDeviceLine(irq).filter((i) => i !== IRQ_LINE && i !== IRQ_PROBE_LINE), issued, issued, fc.constantFrom(irq.irqLines, 300));
    }
    default: return g(often(fc.integer({ min: 0, max: 3 }), u32));
  }
}

/** The invoked cap's choices. */
function capChoice(w: World, S: Sets, P: SlotPools, m: MethodName): ArgChoice {
  const wrongKind = P.any;
  switch (m) {
    case 'PageTable_Map': return g(pick(S.unmappedPTs), pick([...S.mappedPTs, 16]), wrongKind);
    case 'PageTable_Unmap': return g(pick([...S.mappedPTs, ...S.unmappedPTs]), wrongKind);
  }
  // A flush's bad caps are only those its decoder tells apart (the garbage events send its labels to other caps).
  if (FLUSH_METHODS.includes(m)) {
    return METHODS[m].interface === 'PageDirectory'
      ? g(pick([3]), pick(S.freePDs), pick([w.probes.orphanPD]))
      : g(pick(S.flushable), pick(S.unmappedFrames), pick(S.orphanFrames), pick(S.staleFrames));
  }
  const byInterface: Record<string, readonly number[]> = {
    Untyped: [w.untyped, ROOT_UNTYPED, 18, w.probes.poolUntyped, w.probes.parentUntyped], TCB: S.tcbs, CNode: [2], IRQControl: [4],
    IRQHandler: [w.irqProbe], Frame: [...S.mappedFrames, ...S.unmappedFrames], PageTable: [...S.mappedPTs, ...S.unmappedPTs],
    PageDirectory: [3], ASIDControl: [5], ASIDPool: [6],
  };
  return g(pick(byInterface[METHODS[m].interface]), wrongKind);
}

/** A message too short for any method with arguments (TruncatedMessage comes first in its decoder). */
const TRUNCATED = { length: 0, extraCaps: 0 };

/** The weights of an invocation's modes: every argument good, exactly one bad, each on its own. */
interface Modes { good: number; oneBad: number; wild: number }
const DEFAULT_MODES: Modes = { good: 3, oneBad: 5, wild: 1 };

/**
 * One method's invocations: all good, one bad, each argument on its own (`modes`). The last
 * choice is the message info: the marshalled one, or a truncated one (a bad kind like the others).
 */
function arbMethod(m: MethodName, choices: ArgChoice[], names: string[], modes: Modes = DEFAULT_MODES): fc.Arbitrary<RawEvent> {
  const all = names.length > 0 ? [...choices, g(fc.constant(null), fc.constant(TRUNCATED))] : choices;
  // Every (argument, kind of bad value) pair is equally likely in the one-bad mode.
  const pairs = all.flatMap((c, i) => c.bad.map((bad) => ({ i, bad })));
  const goods = fc.tuple(...all.map((c) => c.good));
  const wild = fc.tuple(...all.map((c) => (c.bad.length > 0 ? often(c.good, fc.oneof(...c.bad), 2) : c.good)));
  const weighted: fc.WeightedArbitrary<unknown[]>[] = [{ weight: modes.good, arbitrary: goods }, { weight: modes.wild, arbitrary: wild }];
  if (pairs.length > 0) {
    const oneBad = fc.oneof(...pairs.map(({ i, bad }) => fc.tuple(goods, bad).map(([gv, b]) => gv.map((v, j) => (j === i ? b : v)))));
    weighted.splice(1, 0, { weight: modes.oneBad, arbitrary: oneBad });
  }
  return fc.oneof(...weighted).map((v): RawEvent => {
    const e: RawEvent = { invoke: m, cap: v[0] };
    if (names.length === 0) return e;
    e.args = Object.fromEntries(names.map((n, i) => [n, v[i + 1]]));
    if (v[names.length + 1] !== null) e.info = v[names.length + 1];
    return e;
  });
}

/** The cache maintenance methods (four of a page directory, four of a frame), which differ only in the cache operation. */
const FLUSH_METHODS: readonly MethodName[] = METHOD_NAMES.filter((m) => /_(Clean|Invalidate|CleanInvalidate)_Data$|_Unify_Instruction$/.test(m));

/** The flushes' modes: one bad argument more often, as each of their errors is needed four times (one per method). */
const FLUSH_MODES: Modes = { good: 1, oneBad: 7, wild: 1 };

/**
 * Invocations of every method: the CNode, Untyped, common TCB and mapping methods (many checks)
 * weigh more, and the methods in `focus` (runs whose setup prepared them: see runs.ts) much more.
 * The four flushes of a page directory together weigh as two methods, and so do a frame's: they
 * decode alike, and eight full weights would thin out every other method.
 */
export function arbWorldInvoke(w: World, focus: readonly MethodName[] = [], irq: IrqConfig = defaultConfig()): fc.Arbitrary<RawEvent> {
  const P = slotPools(w);
  const S = slotSets(w);
  const flushes = (iface: 'PageDirectory' | 'Frame'): fc.Arbitrary<RawEvent> => fc.oneof(...FLUSH_METHODS.filter((m) => METHODS[m].interface === iface).map((m) => {
    const names = METHODS[m].args.map((a) => a.name);
    const method = (args: Record<string, ArgChoice>) => arbMethod(m, [capChoice(w, S, P, m), ...names.map((n) => args[n]!)], names, FLUSH_MODES);
    return iface === 'Frame' ? method(FLUSH_OFFSETS) : fc.oneof(...pdFlushRanges(w).map((r) => method({ start: r.start, end: r.end })));
  }));
  const others = METHOD_NAMES.filter((m) => !FLUSH_METHODS.includes(m));
  const all = fc.oneof({ weight: 4, arbitrary: flushes('PageDirectory') }, { weight: 4, arbitrary: flushes('Frame') }, ...others.map((m) => {
    const names = METHODS[m].args.map((a) => a.name);
    const weight = focus.includes(m) ? 150 : /^CNode_|Untyped|TCB_(Resume|Suspend|SetPriority)|Page_Map|PageTable_Map/.test(m) ? 3 : 2;
    const method = (cap: ArgChoice, args: Record<string, ArgChoice> = {}) =>
      arbMethod(m, [cap, ...names.map((n) => args[n] ?? argChoice(w, S, P, irq, m, n))], names);
    if (m === 'Page_Map') {
      const sizes = pageMapBySize(w).map((z) => method(g(pick(z.cap), pick(S.mappedFrames), P.any), { vaddr: z.vaddr }));
      return { weight, arbitrary: fc.oneof(...sizes) };
    }
    const arbitrary = method(capChoice(w, S, P, m));
    return { weight, arbitrary: w.recordable && BUFFER_METHODS.includes(m) ? fc.oneof(arbitrary, keepingBuffer(w, arbitrary)) : arbitrary };
  }));
  return w.recordable ? all.map(recordableRegisters) : all;
}

/** The methods that set a thread's IPC buffer. */
const BUFFER_METHODS: readonly MethodName[] = ['TCB_SetIPCBuffer', 'TCB_Configure'];

/**
 * For recordable traces: half the buffer-setting invocations name a thread together with the
 * buffer address and frame that its own VSpace maps there (its own), so that they succeed and the
 * thread stays runnable on a real kernel; the other half are drawn as usual (and the driver drops
 * those that would unmap a buffer from under its thread).
 */
function keepingBuffer(w: World, drawn: fc.Arbitrary<RawEvent>): fc.Arbitrary<RawEvent> {
  const own = [
    { cap: ROOT_SLOTS.tcb, buffer: ROOT_IPC_BUFFER_VADDR, bufferFrame: ROOT_SLOTS.ipcBuffer },
    ...w.tcbs.map((cap, i) => ({ cap, buffer: BUFFER_BASE + i * 0x1000, bufferFrame: w.frames[i] })),
  ];
  return fc.tuple(drawn, pick(own)).map(([e, { cap, buffer, bufferFrame }]) => ({ ...e, cap, args: { ...(e.args as object), buffer, bufferFrame } }));
}

/**
 * For recordable traces: register writes that a real thread's code survives. TCB_WriteRegisters
 * writes at most the pc, and that to the recovery entry point; TCB_CopyRegisters copies neither
 * frame nor integer registers (the model holds 0 where the real source holds its own code's pc,
 * sp and scratch registers). Counts beyond the register file still reach the decoder's checks.
 */
function recordableRegisters(e: RawEvent): RawEvent {
  const args = e.args as Record<string, unknown> | undefined;
  if (e.invoke === 'TCB_WriteRegisters' && args && typeof args.count === 'number' && args.count <= N_USER_REGISTERS) {
    return { ...e, args: { ...args, count: Math.min(args.count, 1), regs: [RECOVERY_PC] } };
  }
  if (e.invoke === 'TCB_CopyRegisters' && args) return { ...e, args: { ...args, transferFrame: false, transferInteger: false } };
  return e;
}
