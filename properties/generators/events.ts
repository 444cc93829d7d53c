// Random events for the world: mostly well-formed (caps of the right kind, free destination slots,
// aligned addresses), with a share of garbage; and the lists of events a run is made of.

import fc from 'fast-check';
import { METHODS, METHOD_NAMES, type ArgType } from '../../abi/invocations';
import { OBJECT_TYPES } from '../../abi/objecttype';
import { type RawEvent, arbEvent, smallWord, u32 } from './basic';
import { BUFFER_BASE, EVENT_KINDS, type EventKind, type GeneratorOptions, LAST_SLOT, OWN_CSPACE_DATA, ROOT_UNTYPED, type World, type WorldParams, arbWorldParams, layoutWorld } from './world';

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
