// The user-visible observation of a state (trace-format.md "Observations"): the current thread
// and, per existing TCB, its state, priority and what the kernel last delivered to it.

import type { Observation, ThreadObservation, ThreadStateName } from '../../abi/events';
import { defaultThreadName } from '../../abi/events';
import { bootInfoObservation } from '../../abi/boot';
import type { PPtr, ThreadState } from './types';
import { type KernelState, stepObjectTables, tcbAddressCache } from '../model/state';
import type { TCB } from '../object/structures';

export function threadStateName(st: ThreadState): ThreadStateName {
  return st.tag;
}

/** defaultThreadName, memoized (it formats a string; observations need it for every thread). */
const defaultNames = new Map<PPtr, string>();

export function threadName(s: KernelState, p: PPtr): string {
  const t = s.objects[p] as TCB;
  if (t.name !== null && t.name !== undefined) return t.name;
  let n = defaultNames.get(p);
  if (n === undefined) {
    n = defaultThreadName(p);
    if (defaultNames.size < 1 << 16) defaultNames.set(p, n);
  }
  return n;
}

function observeThread(s: KernelState, p: PPtr, t: TCB): ThreadObservation {
  const o: ThreadObservation = { state: threadStateName(t.state) };
  if (p !== s.idleThread) o.priority = t.priority;
  const d = t.delivered;
  if (d.badge !== undefined) o.badge = d.badge;
  if (d.info !== undefined) o.info = { label: d.info.label, capsUnwrapped: d.info.capsUnwrapped, extraCaps: d.info.extraCaps, length: d.info.length };
  if (d.mrs !== undefined) o.mrs = [...d.mrs];
  if (d.error !== undefined) o.error = d.error;
  return o;
}

/** The TCB addresses of an objects table, ascending, the idle thread included (cached per table `step` made). */
function tcbAddresses(objects: KernelState['objects']): readonly PPtr[] {
  const hit = tcbAddressCache.get(objects);
  if (hit !== undefined) return hit;
  const out: PPtr[] = [];
  for (const k in objects) {
    const p = Number(k);
    if (objects[p].tag === 'TCB') out.push(p);
  }
  out.sort((a, b) => a - b);
  if (stepObjectTables.has(objects)) tcbAddressCache.set(objects, out);
  return out;
}

/** Thread observations in address order, the idle thread last. */
export function observe(s: KernelState, step: number): Observation {
  const threads: Record<string, ThreadObservation> = {};
  for (const p of tcbAddresses(s.objects)) {
    if (p !== s.idleThread) threads[threadName(s, p)] = observeThread(s, p, s.objects[p] as TCB);
  }
  threads[threadName(s, s.idleThread)] = observeThread(s, s.idleThread, s.objects[s.idleThread] as TCB);
  return { step, current: threadName(s, s.curThread), threads };
}

/** Step 0's line: the boot observation with the bootinfo it describes. */
export function observeBoot(s: KernelState): Observation {
  const o = observe(s, 0);
  return { step: 0, bootinfo: bootInfoObservation(s.config), current: o.current, threads: o.threads };
}
