// What one step changed, found by reference (DESIGN §6): the spec's `step` copies on write and
// hands back the previous reference for whatever came out equal, so an object or slot record the
// step did not change is the very same reference in the state before and after. Every incremental invariant asks this module; the answer is computed
// once per (before, after) pair and shared.

import type { KernelState } from '../../spec';
import { differingKeys } from '../../spec/model/state';
import type { KernelObject, TCB } from '../../spec/object/structures';
import type { PPtr } from '../../spec/api/types';
import { isRunnable } from '../../spec/api/types';
import { SIZE_BITS } from '../../abi/objecttype';
import { pageBitsForSize } from '../../spec/kernel/vspace';
import type { Invariant, Monitor, Violation } from './types';

export interface StepChanges {
  /** Objects whose record differs (created, changed or deleted). */
  objects: PPtr[];
  /** Objects present before and absent after. */
  removedObjects: PPtr[];
  /** Objects absent before and present after. */
  newObjects: PPtr[];
  /** Slots whose record differs (filled, changed or emptied). */
  slots: PPtr[];
  readyQueues: boolean;
}

/**
 * stepChanges' memo, by the state after: the state before is named by a number, since a reference
 * would keep every earlier state alive back to boot (each entry's value the previous entry's key).
 */
const cache = new WeakMap<KernelState, { before: number; changes: StepChanges }>();
const stateIds = new WeakMap<KernelState, number>();
let lastStateId = 0;
function stateId(s: KernelState): number {
  let id = stateIds.get(s);
  if (id === undefined) stateIds.set(s, (id = ++lastStateId));
  return id;
}

/** The numeric keys of a state table, cached per table (tables are never written after a step). */
const keyCache = new WeakMap<object, number[]>();
function keysOf(rec: Record<PPtr, unknown>): number[] {
  let k = keyCache.get(rec);
  if (k === undefined) {
    k = Object.keys(rec).map(Number);
    keyCache.set(rec, k);
  }
  return k;
}

function diffKeys<T>(before: Record<PPtr, T>, after: Record<PPtr, T>, changed: PPtr[], removed?: PPtr[], added?: PPtr[]): void {
  for (const k of differingKeys(before, after)) {
    changed.push(k);
    if (before[k] === undefined) added?.push(k);
    else if (after[k] === undefined) removed?.push(k);
  }
}

/** The objects and slots that differ between two states (memoised per pair). */
export function stepChanges(before: KernelState, after: KernelState): StepChanges {
  const hit = cache.get(after);
  if (hit && hit.before === stateIds.get(before)) return hit.changes;
  const c: StepChanges = { objects: [], removedObjects: [], newObjects: [], slots: [], readyQueues: before.readyQueues !== after.readyQueues };
  diffKeys(before.objects, after.objects, c.objects, c.removedObjects, c.newObjects);
  diffKeys(before.ctes, after.ctes, c.slots);
  cache.set(after, { before: stateId(before), changes: c });
  return c;
}

/** Every object and slot of a state, as if all had changed (the full checks). */
export function allOf(s: KernelState): StepChanges {
  return {
    objects: keysOf(s.objects),
    removedObjects: [],
    newObjects: keysOf(s.objects),
    slots: keysOf(s.ctes),
    readyQueues: true,
  };
}

/** The size in bits of an object's memory (seL4 obj_bits). */
export function objectBits(o: KernelObject): number {
  switch (o.tag) {
    case 'TCB':
      return SIZE_BITS.TCB;
    case 'Endpoint':
      return SIZE_BITS.Endpoint;
    case 'Notification':
      return SIZE_BITS.Notification;
    case 'CNode':
      return SIZE_BITS.Slot + o.radix;
    case 'Frame':
      return pageBitsForSize(o.size);
    case 'PageTable':
      return SIZE_BITS.PageTable;
    case 'PageDirectory':
      return SIZE_BITS.PageDirectory;
    case 'ASIDPool':
      return SIZE_BITS.ASIDPool;
  }
}

export function tcbAt(s: KernelState, p: PPtr): TCB | undefined {
  const o = s.objects[p];
  return o?.tag === 'TCB' ? o : undefined;
}

export function isRunnableTCB(s: KernelState, p: PPtr): boolean {
  const t = tcbAt(s, p);
  return t !== undefined && isRunnable(t.state);
}

export const hex = (p: number): string => '0x' + (p >>> 0).toString(16).padStart(8, '0');

/** A thread's name as observations show it. */
export function threadName(s: KernelState, p: PPtr): string {
  if (p === s.idleThread) return 'idle';
  return tcbAt(s, p)?.name ?? 'tcb@' + hex(p);
}

/** The priorities that have a ready queue, highest first. */
export function queuedPriorities(s: KernelState): number[] {
  return Object.keys(s.readyQueues).map(Number).filter((p) => (s.readyQueues[p]?.length ?? 0) > 0).sort((a, b) => b - a);
}

/** An invariant that checks either every object (`full`) or the ones a step changed. */
export interface IncrementalCheck {
  (s: KernelState, c: StepChanges, before: KernelState | null): unknown | null;
}

let fullEvery = 1000;

/**
 * How often incremental invariants also run their full check (every n steps; 0 = only at boot).
 * The full check proves the incremental one agrees (DESIGN §6). Default 1000.
 */
export function setFullCheckInterval(n: number): void {
  fullEvery = n;
}

/** An invariant on one state, checked on what each step changed and periodically in full. */
export interface StateInvariant extends Invariant {
  /** The full check of one state: evidence of a violation, or null. */
  full(s: KernelState): unknown | null;
}

/**
 * Builds a state invariant from one check that looks at the changed objects and slots (`c`) of
 * `s`; the full check passes every object and slot as changed.
 */
export function incrementalInvariant(
  name: string,
  doc: string,
  check: IncrementalCheck,
  skipWhen?: (s: KernelState) => boolean,
): StateInvariant {
  const full = (s: KernelState) => check(s, allOf(s), null);
  return {
    name,
    doc,
    skipWhen,
    full,
    monitor(): Monitor {
      let n = 0;
      const v = (e: unknown | null): Violation | null => (e === null || e === undefined ? null : { invariant: name, evidence: e });
      return {
        boot: (s) => v(full(s)),
        step: (ctx) => {
          if (fullEvery > 0 && ++n >= fullEvery) {
            n = 0;
            return v(full(ctx.after));
          }
          return v(check(ctx.after, stepChanges(ctx.before, ctx.after), ctx.before));
        },
      };
    },
  };
}
