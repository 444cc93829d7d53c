// The observation of the concrete kernel (trace-format.md), read from machine memory with
// uncounted peeks (observing is not kernel work) and from the ghost records. spec: observe.

import { defaultThreadName, THREAD_STATES, type Observation, type ThreadObservation } from '../../abi/events';
import { TCB_WORD, TCB_OFFSET, THREAD_STATE_LAYOUT, TCB_PRIO_LAYOUT } from '../object/structures';
import { getField, field } from '../../machine';
import { GLOBALS, type Kernel } from '../model/state';

const TS_TYPE = field(THREAD_STATE_LAYOUT.words[0], 'tsType');
const PRIORITY = field(TCB_PRIO_LAYOUT, 'priority');

export function threadName(k: Kernel, t: number): string {
  return k.names.get(t) ?? defaultThreadName(t);
}

function observeThread(k: Kernel, t: number, idle: number): ThreadObservation {
  const base = t + TCB_OFFSET;
  const o: ThreadObservation = { state: THREAD_STATES[getField(k.m.peek32(base + 4 * TCB_WORD.tsWord0), TS_TYPE)] };
  if (t !== idle) o.priority = getField(k.m.peek32(base + 4 * TCB_WORD.prio), PRIORITY);
  const d = k.delivered.get(t);
  if (d) {
    if (d.badge !== undefined) o.badge = d.badge;
    if (d.info !== undefined) o.info = { label: d.info.label, capsUnwrapped: d.info.capsUnwrapped, extraCaps: d.info.extraCaps, length: d.info.length };
    if (d.mrs !== undefined) o.mrs = [...d.mrs];
    if (d.error !== undefined) o.error = d.error;
  }
  return o;
}

/** Thread observations in address order, the idle thread last (as spec/api/observation.ts). */
export function observeKernel(k: Kernel, step: number): Observation {
  const idle = k.m.peek32(GLOBALS.ksIdleThread);
  const tcbs = [...k.objects].filter(([p, o]) => o.type === 'TCB' && p !== idle).map(([p]) => p).sort((a, b) => a - b);
  const threads: Record<string, ThreadObservation> = {};
  for (const t of tcbs) threads[threadName(k, t)] = observeThread(k, t, idle);
  threads[threadName(k, idle)] = observeThread(k, idle, idle);
  return { step, current: threadName(k, k.m.peek32(GLOBALS.ksCurThread)), threads };
}
