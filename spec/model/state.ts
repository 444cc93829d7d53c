// The abstract kernel state (l4v spec/abstract: kheap, cdt, ready queues, scheduler action,
// interrupt state, ARM ASID table) as plain records keyed by physical address. Kernel code runs
// on a copy-on-write working state inside `step` (runStep below; immer drafts outside it, in
// tests); this module has the typed accessors every module uses.

import { isDraft, isModified, original } from 'immer';
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

// ---------------------------------------------------------------------------------------------
// The kernel entry's working state (performance, DESIGN §6).
//
// `step` runs one kernel entry on a working copy of the state instead of an immer draft: immer
// made every read of a nested object create a proxy and copy its parent, which cost ~100 µs per
// IPC. The working copy is a shallow copy of the root with private copies of the small tables
// (ready queues, IRQ arrays, ASID table); `objects` and `ctes` stay shared with the previous state
// until a write, and an object or slot is copied (deeply) the first time it is taken for writing —
// by `getObject`/`getTCB`/`getCTE`/`liveCTEOrUndefined`, or `markObject`/`markCTE` right before a
// direct write to `s.objects`/`s.ctes`. At the end, whatever came out equal to the previous state
// is replaced by the previous reference, so that, as with immer's structural sharing, an object,
// slot or table the step did not change is the very same reference before and after (the
// incremental checks rely on that), and with freezing on the result is deeply frozen.
//
// Outside `step` (e.g. a decoder run inside a test's own `produce`) the accessors work on
// whatever they are given, drafts included. `readObject`/`readTCB`/`readCTE` return read-only
// views: never hold one across a write to the same object or slot (it may be the old value).

/** A deeply read-only view of a state value. */
export type RO<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends object
    ? { readonly [K in keyof T]: RO<T[K]> }
    : T;

interface StepContext {
  work: KernelState;
  base: KernelState;
  /** Objects / slots already copied for this entry (their current value is private to it). */
  objects: Set<PPtr>;
  ctes: Set<PPtr>;
  objectsCopied: boolean;
  ctesCopied: boolean;
  /** Small tables already copied for this entry. */
  tables: Set<SmallTable>;
}

/** The state's small tables: copied whole (deeply) the first time an entry writes them. */
export type SmallTable = 'readyQueues' | 'asidTable' | 'irqStates' | 'irqMasked' | 'irqPending';

let stepContext: StepContext | null = null;
let freezeStates = true;

/** Whether `runStep` deep-freezes the states it returns (the spec's side of setSpecFreeze). */
export function setStateFreeze(on: boolean): void {
  freezeStates = on;
}

function contextOf(s: KernelState): StepContext | null {
  return stepContext !== null && stepContext.work === s ? stepContext : null;
}

/** A deep copy of plain state data (records, arrays, primitives). */
function cloneDeep<T>(x: T): T {
  if (typeof x !== 'object' || x === null) return x;
  if (Array.isArray(x)) {
    const n = x.length;
    const a = new Array(n);
    for (let i = 0; i < n; i++) {
      const v = x[i];
      a[i] = typeof v === 'object' && v !== null ? cloneDeep(v) : v;
    }
    return a as T;
  }
  const o: Record<string, unknown> = {};
  for (const k in x) {
    const v = (x as Record<string, unknown>)[k];
    o[k] = typeof v === 'object' && v !== null ? cloneDeep(v) : v;
  }
  return o as T;
}

/** Structural equality of plain state data, key order included (so a restored reference is exact). */
function sameDeep(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Object.is(a, b);
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      const y = b[i];
      if (x !== y || (x === 0 && !Object.is(x, y))) {
        if (typeof x !== 'object' || !sameDeep(x, y)) return false;
      }
    }
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i];
    if (k !== kb[i]) return false;
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (x !== y || (x === 0 && !Object.is(x, y))) {
      if (typeof x !== 'object' || !sameDeep(x, y)) return false;
    }
  }
  return true;
}

function deepFreeze(x: unknown): void {
  if (typeof x !== 'object' || x === null || Object.isFrozen(x)) return;
  Object.freeze(x);
  for (const k in x) deepFreeze((x as Record<string, unknown>)[k]);
}

/** Whether every key in `touched` holds the very same reference (or nothing) in both tables. */
function sameAt(a: Record<PPtr, unknown>, b: Record<PPtr, unknown>, touched: Set<PPtr>): boolean {
  for (const p of touched) if (a[p] !== b[p]) return false;
  return true;
}

/**
 * Runs one kernel entry: `f` mutates the working state it is given. Returns the new state
 * (`base` itself when nothing changed); `base` is never modified.
 */
export function runStep(base: KernelState, f: (s: KernelState) => void): KernelState {
  const work: KernelState = { ...base };
  const saved = stepContext;
  const ctx: StepContext = {
    work,
    base,
    objects: new Set(),
    ctes: new Set(),
    objectsCopied: false,
    ctesCopied: false,
    tables: new Set(),
  };
  stepContext = ctx;
  try {
    f(work);
  } finally {
    stepContext = saved;
  }
  return finishStep(ctx);
}

/**
 * The TCB addresses of objects tables, ascending (api/observation.ts fills it; a step that
 * creates, removes and retypes no TCB hands its table's list on to the new table).
 */
export const tcbAddressCache = new WeakMap<object, readonly PPtr[]>();

/** Objects tables made by `runStep`: never written again, so their TCB list may be cached. */
export const stepObjectTables = new WeakSet<object>();

/**
 * A table's number, so that what is recorded about how a table was made names the tables it came
 * from without holding them: a reference would keep every earlier table, and so every earlier
 * state, alive back to boot (a WeakMap entry's value lives as long as its key, and each value
 * would be the previous key).
 */
const tableIds = new WeakMap<object, number>();
let lastTableId = 0;
function tableId(t: object): number {
  let id = tableIds.get(t);
  if (id === undefined) tableIds.set(t, (id = ++lastTableId));
  return id;
}

/** One step of a table's making: the table it was made from, and the keys that step took for writing. */
interface TableWrite {
  from: number;
  keys: ReadonlySet<PPtr>;
}

/** How far back the making of a table is remembered: one event runs a few kernel entries at most (a syscall, then IRQs). */
const WRITE_LINKS = 8;

/** For an objects or ctes table made by `runStep`: its last steps of making, most recent first. */
const tableWrites = new WeakMap<object, readonly TableWrite[]>();

/**
 * The keys that may differ between two objects or ctes tables, when `after` was made from
 * `before` by `runStep`s (a superset: a key written back to an equal record is included);
 * undefined when that is not known, and the caller must compare the tables whole.
 */
function writtenKeys(before: object, after: object): ReadonlySet<PPtr> | undefined {
  const links = tableWrites.get(after);
  const from = tableIds.get(before);
  if (links === undefined || from === undefined) return undefined;
  if (links[0].from === from) return links[0].keys;
  // One event may run several kernel entries (an IRQ after a syscall): follow the chain of tables.
  const keys = new Set(links[0].keys);
  for (let i = 1; i < links.length; i++) {
    for (const k of links[i].keys) keys.add(k);
    if (links[i].from === from) return keys;
  }
  return undefined;
}

/** Records that table `after` was made from `before` by writing only `keys` (for differingKeys). */
export function noteWrittenKeys(before: object, after: object, keys: ReadonlySet<PPtr>): void {
  const earlier = tableWrites.get(before) ?? [];
  tableWrites.set(after, [{ from: tableId(before), keys }, ...earlier.slice(0, WRITE_LINKS - 1)]);
}

/**
 * The keys whose records differ (by reference) between two objects or ctes tables, ascending: from
 * the keys written when the step that made `after` from `before` recorded them, else by walking both.
 */
export function differingKeys<T>(before: Record<PPtr, T>, after: Record<PPtr, T>): PPtr[] {
  if (before === after) return [];
  const out: PPtr[] = [];
  const written = writtenKeys(before, after);
  if (written !== undefined) {
    for (const p of written) if (after[p] !== before[p]) out.push(p);
    return out.sort((a, b) => a - b);
  }
  for (const k in after) if (after[k as unknown as PPtr] !== before[k as unknown as PPtr]) out.push(Number(k));
  for (const k in before) if (!(k in after)) out.push(Number(k));
  return out.sort((a, b) => a - b);
}

function handOnTCBAddresses(ctx: StepContext): void {
  const list = tcbAddressCache.get(ctx.base.objects);
  if (list === undefined) return;
  for (const p of ctx.objects) {
    if ((ctx.work.objects[p]?.tag === 'TCB') !== (ctx.base.objects[p]?.tag === 'TCB')) return;
  }
  tcbAddressCache.set(ctx.work.objects, list);
}

function finishStep(ctx: StepContext): KernelState {
  const { work, base } = ctx;
  if (ctx.objectsCopied) {
    for (const p of ctx.objects) {
      const a = work.objects[p];
      const b = base.objects[p];
      if (a !== b && a !== undefined && b !== undefined && sameDeep(a, b)) work.objects[p] = b;
    }
    // Every write to the table went through markObject, so only those keys can differ.
    if (sameAt(work.objects, base.objects, ctx.objects)) work.objects = base.objects;
    else {
      stepObjectTables.add(work.objects);
      noteWrittenKeys(base.objects, work.objects, ctx.objects);
      handOnTCBAddresses(ctx);
    }
  }
  if (ctx.ctesCopied) {
    for (const p of ctx.ctes) {
      const a = work.ctes[p];
      const b = base.ctes[p];
      if (a !== b && a !== undefined && b !== undefined && sameDeep(a, b)) work.ctes[p] = b;
    }
    if (sameAt(work.ctes, base.ctes, ctx.ctes)) work.ctes = base.ctes;
    else noteWrittenKeys(base.ctes, work.ctes, ctx.ctes);
  }
  for (const k of ctx.tables) {
    if (sameDeep(work[k], base[k])) (work as unknown as Record<string, unknown>)[k] = base[k];
  }
  if (work.schedulerAction !== base.schedulerAction && sameDeep(work.schedulerAction, base.schedulerAction)) {
    work.schedulerAction = base.schedulerAction;
  }
  let changed = false;
  for (const k in work) {
    if (!Object.is(work[k as keyof KernelState], base[k as keyof KernelState])) {
      changed = true;
      break;
    }
  }
  if (!changed && Object.keys(work).length === Object.keys(base).length) return base;
  if (freezeStates) freezeStep(ctx, work);
  return work;
}

/**
 * Deep-freezes the entry's result without walking the big tables: when the previous state's table
 * was frozen, only the entries this entry took for writing can be unfrozen.
 */
function freezeStep(ctx: StepContext, work: KernelState): void {
  const { base } = ctx;
  if (ctx.objectsCopied && work.objects !== base.objects && Object.isFrozen(base.objects)) freezeTouched(work.objects, ctx.objects);
  if (ctx.ctesCopied && work.ctes !== base.ctes && Object.isFrozen(base.ctes)) freezeTouched(work.ctes, ctx.ctes);
  deepFreeze(work);
}

function freezeTouched(table: Record<PPtr, unknown>, touched: Set<PPtr>): void {
  for (const p of touched) deepFreeze(table[p]);
  Object.freeze(table);
}

function copyObjectsTable(ctx: StepContext): void {
  if (!ctx.objectsCopied) {
    ctx.work.objects = { ...ctx.work.objects };
    ctx.objectsCopied = true;
  }
}

function copyCTEsTable(ctx: StepContext): void {
  if (!ctx.ctesCopied) {
    ctx.work.ctes = { ...ctx.work.ctes };
    ctx.ctesCopied = true;
  }
}

/** A small table of the state, for writing (the entry's own copy inside `step`). */
export function writableTable<K extends SmallTable>(s: KernelState, k: K): KernelState[K] {
  const ctx = contextOf(s);
  if (ctx !== null && !ctx.tables.has(k)) {
    s[k] = cloneDeep(s[k]);
    ctx.tables.add(k);
  }
  return s[k];
}

/**
 * Takes the object at p for writing in this kernel entry (copies it on first use). Call before
 * any direct write to `s.objects[p]` (assignment or delete).
 */
export function markObject(s: KernelState, p: PPtr): void {
  const ctx = contextOf(s);
  if (ctx === null || ctx.objects.has(p)) return;
  copyObjectsTable(ctx);
  const o = s.objects[p];
  if (o !== undefined) s.objects[p] = cloneDeep(o);
  ctx.objects.add(p);
}

/** Takes the slot for writing in this kernel entry; call before any direct write to `s.ctes[slot]`. */
export function markCTE(s: KernelState, slot: PPtr): void {
  const ctx = contextOf(s);
  if (ctx === null || ctx.ctes.has(slot)) return;
  copyCTEsTable(ctx);
  const c = s.ctes[slot];
  if (c !== undefined) s.ctes[slot] = cloneDeep(c);
  ctx.ctes.add(slot);
}

/** A draft's current value without creating child drafts when it is unmodified (plain values as they are). */
export function peek<T>(x: T): RO<T> {
  return (isDraft(x) && !isModified(x) ? original(x as never) : x) as RO<T>;
}

/** The object at p as it stands now, for reading only (undefined when there is none). */
export function readObjectOrUndefined(s: KernelState, p: PPtr): RO<KernelObject> | undefined {
  const o = s.objects[p];
  return contextOf(s) !== null ? o : peek(o);
}

export function readObject<T extends ObjectTag>(s: KernelState, p: PPtr, tag: T): RO<ObjectOf<T>> {
  const o = readObjectOrUndefined(s, p);
  // (The message is built only on failure: a template literal in assert() costs on every call.)
  if (o === undefined || o.tag !== tag) throw new KernelBug(`expected a ${tag} at 0x${p.toString(16)}, found ${o?.tag ?? 'nothing'}`);
  return o as RO<ObjectOf<T>>;
}

export function readTCB(s: KernelState, p: PPtr): RO<TCB> {
  return readObject(s, p, 'TCB');
}

/** The slot at a CTE address (NullCap when empty), for reading only. */
export function readCTE(s: KernelState, slot: PPtr): RO<CTE> {
  const c = s.ctes[slot] ?? EMPTY_CTE;
  return contextOf(s) !== null ? c : peek(c);
}

/** The object at p, for writing (the entry's own copy inside `step`). */
export function getObject<T extends ObjectTag>(s: KernelState, p: PPtr, tag: T): ObjectOf<T> {
  markObject(s, p);
  const o = s.objects[p];
  // (The message is built only on failure: a template literal in assert() costs on every call.)
  if (o === undefined || o.tag !== tag) throw new KernelBug(`expected a ${tag} at 0x${p.toString(16)}, found ${o?.tag ?? 'nothing'}`);
  return o as ObjectOf<T>;
}

export function getTCB(s: KernelState, p: PPtr): TCB {
  return getObject(s, p, 'TCB');
}

/** The slot at a CTE address, undefined when empty, for writing. */
export function liveCTEOrUndefined(s: KernelState, slot: PPtr): CTE | undefined {
  markCTE(s, slot);
  return s.ctes[slot];
}

/** The slot at a CTE address (NullCap when empty), for writing. The returned object must not be mutated when empty. */
export function getCTE(s: KernelState, slot: PPtr): CTE {
  markCTE(s, slot);
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
