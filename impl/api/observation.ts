// The observation of the concrete kernel (trace-format.md), read from machine memory with
// uncounted peeks (observing is not kernel work) and from the ghost records. spec: observe.
//
// Observing runs after every event, so it is kept cheap: the thread list (TCB addresses in
// observation order with their names) is derived from the ghost object and name maps only when
// one of them changed (their versions, Kernel.observed), and each step then costs two peeks and
// one small record per thread. The records are fresh every step (callers may keep or annotate them).

import { defaultThreadName, THREAD_STATES, type Observation, type ThreadObservation } from '../../abi/events';
import { TCB_WORD, TCB_OFFSET, THREAD_STATE_LAYOUT, TCB_PRIO_LAYOUT } from '../object/structures';
import { getField, field } from '../../machine';
import { GLOBALS, type Kernel, type ObservedThreads } from '../model/state';

const TS_TYPE = field(THREAD_STATE_LAYOUT.words[0], 'tsType');
const PRIORITY = field(TCB_PRIO_LAYOUT, 'priority');
const TS_OFFSET = TCB_OFFSET + 4 * TCB_WORD.tsWord0;
const PRIO_OFFSET = TCB_OFFSET + 4 * TCB_WORD.prio;

export function threadName(k: Kernel, t: number): string {
  return k.names.get(t) ?? defaultThreadName(t);
}

function observeThread(k: Kernel, t: number, idle: number): ThreadObservation {
  const o: ThreadObservation = { state: THREAD_STATES[getField(k.m.peek32(t + TS_OFFSET), TS_TYPE)] };
  if (t !== idle) o.priority = getField(k.m.peek32(t + PRIO_OFFSET), PRIORITY);
  const d = k.delivered.get(t);
  if (d) {
    if (d.badge !== undefined) o.badge = d.badge;
    if (d.info !== undefined) o.info = { label: d.info.label, capsUnwrapped: d.info.capsUnwrapped, extraCaps: d.info.extraCaps, length: d.info.length };
    if (d.mrs !== undefined) o.mrs = d.mrs.slice();
    if (d.error !== undefined) o.error = d.error;
  }
  return o;
}

/** The thread list of the observation, rebuilt only when the ghost objects or names changed. */
export function observedThreads(k: Kernel): ObservedThreads {
  const idle = k.m.peek32(GLOBALS.ksIdleThread);
  const c = k.observed;
  if (c !== undefined && c.objectsVersion === k.objects.version && c.namesVersion === k.names.version && c.idle === idle) return c;
  const tcbs: number[] = [];
  for (const [p, o] of k.objects) if (o.type === 'TCB' && p !== idle) tcbs.push(p);
  tcbs.sort((a, b) => a - b);
  tcbs.push(idle);
  const built: ObservedThreads = {
    objectsVersion: k.objects.version,
    namesVersion: k.names.version,
    idle,
    tcbs,
    names: tcbs.map((t) => threadName(k, t)),
  };
  k.observed = built;
  return built;
}

/** Thread observations in address order, the idle thread last (as spec/api/observation.ts). */
export function observeKernel(k: Kernel, step: number): Observation {
  const { idle, tcbs, names } = observedThreads(k);
  const threads: Record<string, ThreadObservation> = {};
  const cur = k.m.peek32(GLOBALS.ksCurThread);
  let current: string | undefined;
  for (let i = 0; i < tcbs.length; i++) {
    const t = tcbs[i];
    if (t === cur) current = names[i];
    threads[names[i]] = observeThread(k, t, idle);
  }
  return { step, current: current ?? threadName(k, cur), threads };
}
