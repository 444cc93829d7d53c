// Random events for the world: mostly well-formed (caps of the right kind, free destination slots,
// aligned addresses), with a share of garbage; and the lists of events a run is made of.

import fc from 'fast-check';
import { ROOT_SLOTS } from '../../abi/boot';
import { METHODS, type MethodName } from '../../abi/invocations';
import { defaultConfig, type IrqConfig } from '../../abi/config';
import { type RawEvent, arbDeviceLine, arbEvent } from './basic';
import { often, pick, rarely, sharedFreeSlots, slotPools } from './choices';
import { arbWorldInvoke } from './invocations';
import { UNRECORDABLE_KINDS, isRecordableKind } from './recordable';
import { ASID_METHODS, type AsidFill, inv, ROOT_UNTYPED, BUFFER_BASE, EVENT_KINDS, LAST_SLOT, MAPPED_PT_VADDR, STALE_VADDR, SLOT_INDEX_ARG, type EventKind, type GeneratorOptions, type World, type WorldParams, arbWorldParams, layoutWorld } from './world';

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
  const one = fc.tuple(syscall, P.ipc, fc.nat({ max: 3 }), fc.array(fc.nat({ max: 99 }), { maxLength: 5 }), rarely(transfer, 5))
    .map(([s, cap, label, mrs, t]) => {
      const e: RawEvent = s === 'Yield' ? { syscall: s } : { syscall: s, cap, info: { label }, mrs };
      if (t && s !== 'Yield') Object.assign(e, t);
      return e;
    });
  return w.recordable ? one : fc.oneof({ weight: 30, arbitrary: one }, { weight: 1, arbitrary: arbServerBurst(w) }, { weight: 1, arbitrary: arbDoomedBurst(w) }, { weight: 1, arbitrary: arbGrantlessReplyBurst(w) });
}

/**
 * Two sends on ep_doomed and a revoke of its untyped, as one generated item: the first two
 * events block whoever runs them in the endpoint's send queue (nobody else uses it much), and
 * the third, run by the next thread, deletes the last cap to it with both queued (when that
 * thread's CSpace is the root CNode, where the untyped's cap is): the final delete of an
 * endpoint with a queue (docs/check.md "Paths").
 */
function arbDoomedBurst(w: World): fc.Arbitrary<RawEvent> {
  const send = (mrs: number[]): RawEvent => ({ syscall: 'Send', cap: w.epDoomed, info: { label: 0 }, mrs });
  return fc.tuple(fc.array(fc.nat({ max: 99 }), { maxLength: 2 }), fc.array(fc.nat({ max: 99 }), { maxLength: 2 })).map(([a, b]) => ({
    burst: [send(a), send(b), inv('CNode_Revoke', ROOT_SLOTS.cnode, { index: w.probes.utDoomed, depth: 32 })],
  }));
}

/**
 * A client's call and a server's turn, as one generated item that the driver runs as four events
 * (TraceDriver.feed), each by whoever runs then: a call on an endpoint (which blocks the caller
 * when nobody waits), a receive on it (by the next thread, which takes the call), a signal on a
 * notification that can be bound, a reply and receive again. When the server is the
 * notification's bound thread, the ReplyRecv
 * finds its bound notification Active: the path on which the fastpath must give way to the
 * slowpath (docs/check.md "Paths"), which random events alone reach once in a hundred runs.
 */
function arbServerBurst(w: World): fc.Arbitrary<RawEvent> {
  const eps = [...w.eps, ...w.badgedEps];
  const bindable = [...w.ntfns.slice(1), ...w.badgedNtfns.slice(1)];
  const shared = sharedFreeSlots(w);
  // Now and then the call carries an endpoint cap (the same endpoint's, unwrapped, or another's,
  // transferred into the receiver's slot), sometimes after IRQControl's, which does not derive
  // (the transfer stops there).
  const carried = fc.option(fc.tuple(pick(eps), pick(shared), fc.boolean()), { freq: 2 });
  return fc.tuple(pick(eps), pick(bindable.length > 0 ? bindable : w.ntfns), fc.array(fc.nat({ max: 99 }), { maxLength: 3 }), carried).map(([ep, n, mrs, c]) => ({
    burst: [
      c === null ? { syscall: 'Call', cap: ep, info: { label: 0 }, mrs: [] } : { syscall: 'Call', cap: ep, info: { label: 0 }, mrs: [], extraCaps: c[2] ? [ROOT_SLOTS.irqControl, c[0]] : [c[0]] },
      c === null ? { syscall: 'Recv', cap: ep } : { syscall: 'Recv', cap: ep, receive: { root: ROOT_SLOTS.cnode, index: c[1], depth: 32 } },
      { syscall: 'Send', cap: n, info: { label: 0 }, mrs: [] },
      { syscall: 'ReplyRecv', cap: ep, info: { label: 0 }, mrs },
    ],
  }));
}

/**
 * A call that sets a receive slot, through an endpoint cap without Grant (ep_reduced or the last
 * badged one), its receive by the next thread through the same cap, and a reply carrying caps, as
 * one generated item. The server's reply cap then has no Grant, and seL4 transfers no cap although
 * the caller's slot is free: random events alone rarely line the three up. The caps and the slot
 * are ones every CSpace has at the same index.
 */
function arbGrantlessReplyBurst(w: World): fc.Arbitrary<RawEvent> {
  const shared = sharedFreeSlots(w);
  const caps = [...w.eps, ...w.ntfns, ...w.badgedNtfns];
  const ep = w.badgedEps[w.badgedEps.length - 1];
  return fc.tuple(pick(ep === undefined ? [w.epReduced] : [w.epReduced, ep]), pick(shared), fc.array(pick(caps), { minLength: 1, maxLength: 2 }), fc.array(fc.nat({ max: 99 }), { maxLength: 2 }))
    .map(([cap, index, extraCaps, mrs]) => ({
      burst: [
        { syscall: 'Call', cap, info: { label: 0 }, mrs: [], receive: { root: ROOT_SLOTS.cnode, index, depth: 32 } },
        { syscall: 'Recv', cap },
        { syscall: 'Reply', info: { label: 0 }, mrs, extraCaps },
      ],
    }));
}

/**
 * An access through the probes' mapped page table, the deletion of its second cap, PageTable_Unmap
 * (which seL4 allows only for the last cap) and the same access again, as one generated item (a
 * memory event now and then): the first access caches the translation, and the unmap must flush
 * it, so that the second faults. The delete and unmap succeed when the thread that runs them has
 * the root CNode as its CSpace; afterwards the page table is unmapped for the rest of the run.
 */
function arbUnmapBurst(w: World): fc.Arbitrary<RawEvent> {
  const P = w.probes;
  return fc.constantFrom(STALE_VADDR + 0x40, STALE_VADDR + 0x80).map((v) => ({
    burst: [
      { load: v },
      inv('CNode_Delete', ROOT_SLOTS.cnode, { index: P.ptCopy, depth: 32 }),
      inv('PageTable_Unmap', P.mappedPT),
      { load: v },
    ],
  }));
}

/**
 * Badged caps in the CDT, as one generated item (an invocation now and then) run on the root
 * CNode, in one of two shapes that random invocations alone never line up:
 * - a badged mint, a copy of it, the delete of the minted original and a move of the copy: the copy
 *   inherits firstBadged when its original goes (seL4 emptySlot) while it stays non-revocable, the
 *   only caps whose two MDB bits differ, and the move rewrites both;
 * - two mints of the same badge from one endpoint cap and a revoke of the second: each starts a
 *   badged subtree of its own (firstBadged), so the revoke must leave the first;
 * - a badged mint, a copy of it and a revoke of the mint: the copy is its child, and goes.
 * Each on an endpoint or a notification.
 * The slots are ones every CSpace has at the same index, the badge one no setup cap has.
 */
function arbBadgedBurst(w: World): fc.Arbitrary<RawEvent> {
  const shared = sharedFreeSlots(w);
  const root = ROOT_SLOTS.cnode;
  const mint = (dest: number, src: number, badge: number) => inv('CNode_Mint', root, { destIndex: dest, destDepth: 32, srcRoot: root, srcIndex: src, srcDepth: 32, rights: 'RWGP', badge });
  const copy = (dest: number, src: number) => inv('CNode_Copy', root, { destIndex: dest, destDepth: 32, srcRoot: root, srcIndex: src, srcDepth: 32, rights: 'RWGP' });
  const slot = (index: number) => ({ index, depth: 32 });
  return fc.tuple(fc.constantFrom('move', 'siblings', 'child'), pick([...w.eps, ...w.ntfns]), fc.uniqueArray(pick(shared), { minLength: 3, maxLength: 3 }), fc.integer({ min: 0x40, max: 0x7f }))
    .map(([shape, ep, [a, b, c], badge]) => ({
      burst: shape === 'move'
        ? [mint(a, ep, badge), copy(b, a), inv('CNode_Delete', root, slot(a)), inv('CNode_Move', root, { destIndex: c, destDepth: 32, srcRoot: root, srcIndex: b, srcDepth: 32 })]
        : shape === 'siblings'
          ? [mint(a, ep, badge), mint(b, ep, badge), inv('CNode_Revoke', root, slot(b))]
          : [mint(a, ep, badge), copy(b, a), inv('CNode_Revoke', root, slot(a))],
    }));
}

/**
 * The probes' large page mapped read-write through the mapped page table, written (which caches
 * the translation), mapped again read-only over its own mapping, written again (which must fault:
 * the remap flushes the old translation), unmapped, and read in another of its 16 entries, as one
 * generated item (a memory event now and then): random events alone rarely map the large page and
 * then remap or unmap it.
 */
function arbLargePageBurst(w: World): fc.Arbitrary<RawEvent> {
  const page = w.probes.largePage;
  const map = (vaddr: number, rights: string) => inv('Page_Map', page, { vspace: 3, vaddr, rights, attr: 0 });
  return fc.tuple(fc.constantFrom(MAPPED_PT_VADDR + 0x10000, MAPPED_PT_VADDR + 0x20000), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 15 }), fc.nat({ max: 0xffff }))
    .map(([v, a, b, value]) => ({
      burst: [
        map(v, 'RW'), { store: v + a * 0x1000 + 0x40, value },
        map(v, 'R'), { store: v + a * 0x1000 + 0x40, value },
        inv('Page_Unmap', page), { load: v + b * 0x1000 + 0x40 },
      ],
    }));
}

/**
 * A retype into the end of an own CSpace's CNode: the objects fill its last slots exactly, or
 * run one past the end (RangeError), the bound a slot-count check gets wrong by one. The random
 * invocations reach an own CNode as the destination rarely, and its last slot more rarely still.
 */
function arbRetypeAtEnd(w: World): fc.Arbitrary<RawEvent> {
  return fc.tuple(pick([w.untyped, ROOT_UNTYPED]), pick(['Endpoint', 'Notification']), pick(w.cnodes.length > 0 ? w.cnodes : [ROOT_SLOTS.cnode]), fc.integer({ min: 1, max: 2 }), fc.boolean())
    .map(([ut, type, cnode, n, over]) => inv('Untyped_Retype', ut, { type, sizeBits: 0, root: ROOT_SLOTS.cnode, nodeIndex: cnode, nodeDepth: 32, nodeOffset: LAST_SLOT - n + 1 + (over ? 1 : 0), numObjects: n }));
}

/**
 * A new endpoint and a copy of it, a send on the copy (which blocks the sender when nobody
 * waits), and the delete of the original, as one generated item run on the root CNode: the
 * original is not the last cap (its next entry is the copy), so the queued sender must stay queued.
 * Random invocations rarely delete a cap whose next entry, not previous one, is the other cap.
 */
function arbCopiedEndpointBurst(w: World): fc.Arbitrary<RawEvent> {
  const shared = sharedFreeSlots(w);
  const root = ROOT_SLOTS.cnode;
  return fc.tuple(fc.uniqueArray(pick(shared), { minLength: 2, maxLength: 2 }), fc.array(fc.nat({ max: 99 }), { maxLength: 2 })).map(([[a, b], mrs]) => ({
    burst: [
      inv('Untyped_Retype', ROOT_UNTYPED, { type: 'Endpoint', sizeBits: 0, root, nodeIndex: 0, nodeDepth: 0, nodeOffset: a, numObjects: 1 }),
      inv('CNode_Copy', root, { destIndex: b, destDepth: 32, srcRoot: root, srcIndex: a, srcDepth: 32, rights: 'RWGP' }),
      { syscall: 'Send', cap: b, info: { label: 0 }, mrs },
      inv('CNode_Delete', root, { index: a, depth: 32 }),
    ],
  }));
}

/**
 * A thread's IPC buffer taken away (TCB_SetIPCBuffer with no frame), a server's turn (the
 * server-turn burst: the message length is cut to the four message registers when either side has
 * no buffer), and the buffer given back, as one generated item run on the root CNode: random
 * events rarely leave a thread without a buffer while it takes part in a long message.
 */
function arbBufferlessBurst(w: World): fc.Arbitrary<RawEvent> {
  const set = (i: number, buffer: number, frame: number) => inv('TCB_SetIPCBuffer', w.tcbs[i], { buffer, bufferFrame: frame });
  return fc.tuple(fc.nat({ max: w.tcbs.length - 1 }), arbServerBurst(w), fc.array(fc.nat({ max: 99 }), { minLength: 4, maxLength: 5 })).map(([i, turn, long]) => {
    const events = turn.burst as RawEvent[];
    // The call carries a long message.
    const call = { ...events[0], mrs: long };
    return { burst: [set(i, 0, 0), call, ...events.slice(1), set(i, BUFFER_BASE + i * 0x1000, w.frames[i])] };
  });
}

/** A mint of an own CSpace's CNode cap with cap data that sets a guard (seL4_CNode_CapData: 0x108 is guard 1 of 1 bit; 0x2108 has guard bits above its size). */
function arbGuardedCNodeMint(w: World): fc.Arbitrary<RawEvent> {
  const shared = sharedFreeSlots(w);
  const root = ROOT_SLOTS.cnode;
  return fc.tuple(pick(w.cnodes.length > 0 ? w.cnodes : [root]), pick(shared), fc.constantFrom(0x108, 0x2108))
    .map(([cn, a, data]) => inv('CNode_Mint', root, { destIndex: a, destDepth: 32, srcRoot: root, srcIndex: cn, srcDepth: 32, rights: 'RWGP', badge: data }));
}

function arbMemory(w: World): fc.Arbitrary<RawEvent> {
  const addr = fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 0, max: w.tcbs.length + 2 }).map((i) => BUFFER_BASE + i * 0x1000 + 0x40) },
    { weight: 2, arbitrary: fc.constantFrom(0x00201000, 0x00200000, 0x00206000, 0x00400000, 0x00202002, 0xe0001000) },
    // Pages mapped through the probes' page table (overFrame from setup, a spare frame's Page_Map
    // address), so that their translations are cached when a page or that table is unmapped.
    { weight: 1, arbitrary: fc.constantFrom(STALE_VADDR + 0x40, MAPPED_PT_VADDR + 0x3040) },
  );
  const access = fc.oneof(addr.map((v): RawEvent => ({ load: v })), fc.tuple(addr, fc.nat({ max: 0xffff })).map(([v, x]): RawEvent => ({ store: v, value: x })));
  return w.recordable ? access : fc.oneof({ weight: 30, arbitrary: access }, { weight: 1, arbitrary: arbUnmapBurst(w) }, { weight: 1, arbitrary: arbLargePageBurst(w) });
}

/**
 * Root slots whose revocation takes the harness with it: the root CNode cap (the watchdog's CSpace
 * root is derived from it) and IRQControl (the watchdog's IRQ handler cap is its child).
 */
const HARNESS_ANCESTORS: readonly number[] = [ROOT_SLOTS.cnode, ROOT_SLOTS.irqControl];

/**
 * Whether an event would break the harness: it names one of its slots (as its cap, a cap argument
 * or slot index, an extra cap or the receive slot), or revokes one of its CDT ancestors. Random
 * events never do, garbage included: a garbage TCB_Suspend of the watchdog, or a revoke of
 * IRQControl, left long runs with nobody to wake the blocked threads.
 */
export function breaksHarness(e: RawEvent, w: World): boolean {
  if (Array.isArray(e.burst)) return (e.burst as RawEvent[]).some((x) => breaksHarness(x, w));
  const harness = w.harness;
  const args = (e.args as Record<string, unknown> | undefined) ?? {};
  if (e.invoke === 'CNode_Revoke' && HARNESS_ANCESTORS.includes(args.index as number)) return true;
  const method = typeof e.invoke === 'string' ? METHODS[e.invoke as MethodName] : undefined;
  const named = [e.cap, (e.receive as { index?: unknown } | undefined)?.index, ...((e.extraCaps as unknown[] | undefined) ?? [])];
  for (const a of method?.args ?? []) if (a.type === 'cap' || SLOT_INDEX_ARG.test(a.name)) named.push(args[a.name]);
  return named.some((v) => typeof v === 'number' && harness.includes(v));
}

/** One random event of the world (without nonces: see TraceDriver). */
export function arbWorldEvent(w: World, o: GeneratorOptions, irq: IrqConfig = defaultConfig(), focus: readonly MethodName[] = []): fc.Arbitrary<RawEvent> {
  const kinds: Record<EventKind, fc.Arbitrary<RawEvent>> = {
    ipc: arbIPC(w),
    invoke: w.recordable ? arbWorldInvoke(w, focus, irq) : fc.oneof({ weight: 40, arbitrary: arbWorldInvoke(w, focus, irq) }, { weight: 1, arbitrary: arbBadgedBurst(w) }, { weight: 1, arbitrary: arbRetypeAtEnd(w) }, { weight: 1, arbitrary: arbCopiedEndpointBurst(w) }, { weight: 1, arbitrary: arbBufferlessBurst(w) }, { weight: 1, arbitrary: arbGuardedCNodeMint(w) }),
    memory: arbMemory(w),
    exception: fc.nat({ max: 7 }).map((c) => ({ exception: c })),
    irq: often(arbDeviceLine(irq), fc.constant(w.irqLine), 4).map((l) => ({ irq: l })),
    tick: fc.integer({ min: 1, max: 6 }).map((n) => ({ tick: n })),
    garbage: arbEvent(irq),
  };
  const weight = (k: EventKind) => (o.recordable && (UNRECORDABLE_KINDS as readonly string[]).includes(k) ? 0 : o.weights[k]);
  const events = fc.oneof(...EVENT_KINDS.filter((k) => weight(k) > 0).map((k) => ({ weight: weight(k), arbitrary: kinds[k] })))
    .filter((e) => !breaksHarness(e, w));
  // Garbage too: no event of a kind a thread's code cannot perform.
  return o.recordable ? events.filter(isRecordableKind) : events;
}

/** A generated run: the setup's parameters and the random events (before nonces and re-issues). */
export interface GeneratedRun {
  world: WorldParams;
  events: RawEvent[];
}

export function arbRun(o: GeneratorOptions, irq: IrqConfig = defaultConfig()): fc.Arbitrary<GeneratedRun> {
  const w = layoutWorld(o);
  return fc.record({ world: arbWorldParams(o), events: fc.array(arbWorldEvent(w, o, irq), { maxLength: o.steps }) });
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

/**
 * A run of exactly `o.steps` random events (fewer only when shrunk). A run whose setup fills the
 * ASID table or pool draws the ASID methods often: they are what the fill is for.
 */
export function arbFullRun(o: GeneratorOptions, irq: IrqConfig = defaultConfig(), asidFill: AsidFill = 'none'): fc.Arbitrary<GeneratedRun> {
  const w = layoutWorld(o);
  const focus = asidFill === 'none' ? [] : ASID_METHODS;
  return fc.record({ world: arbWorldParams(o, asidFill), events: new FullList(arbWorldEvent(w, o, irq, focus), o.steps) });
}
