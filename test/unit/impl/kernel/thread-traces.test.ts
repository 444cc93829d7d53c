// Whole traces on both kernels, both scheduler variants: after every step the impl's ready queues
// (walked through the TCB links), current thread and per-thread scheduling words equal the spec's
// — the scheduler's share of the refinement relation, checked ahead of refinement/.

import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { type Trace, parseTrace, parseTraceText } from '../../../../abi/trace';
import { arbEvent, setupEvents } from '../../../../properties/generators';
import { ImplRunner, SpecRunner, loadImpl } from '../../../../refinement/kernels';
import { THREAD_STATE } from '../../../../impl/object/structures';
import * as F from '../../../../impl/object/tcb-fields';
import { readyQueueHead } from '../../../../impl/kernel/thread';
import type { Kernel } from '../../../../impl/model/state';
import type { KernelState } from '../../../../spec';

const TAG_OF = Object.fromEntries(Object.entries(THREAD_STATE).map(([n, v]) => [v, n])) as Record<number, string>;

function implQueues(k: Kernel): Record<number, number[]> {
  const out: Record<number, number[]> = {};
  for (let p = 0; p < 256; p++) {
    const q: number[] = [];
    for (let t = readyQueueHead(k, p); t !== 0; t = F.getSchedNext(k, t)) q.push(t);
    if (q.length > 0) out[p] = q;
  }
  return out;
}

/** The scheduler's view of a state: queues, current thread, each TCB's state, priorities, slice. */
function specView(s: KernelState) {
  const tcbs: Record<number, [string, number, number, number]> = {};
  for (const [p, o] of Object.entries(s.objects)) {
    if (o.tag === 'TCB') tcbs[Number(p)] = [o.state.tag, o.priority, o.mcp, o.timeSlice];
  }
  const queues = Object.fromEntries(Object.entries(s.readyQueues).filter(([, q]) => q.length > 0).map(([p, q]) => [Number(p), q]));
  return { cur: s.curThread, queues, tcbs };
}

function implView(k: Kernel, tcbAddrs: number[]) {
  const tcbs: Record<number, [string, number, number, number]> = {};
  for (const t of tcbAddrs) tcbs[t] = [TAG_OF[F.getThreadStateType(k, t)]!, F.getPriority(k, t), F.getMCP(k, t), F.getTimeSlice(k, t)];
  return { cur: F.getCurThread(k), queues: implQueues(k), tcbs };
}

async function checkTrace(trace: Trace): Promise<void> {
  const impl = await loadImpl();
  const a = new SpecRunner(trace.config);
  const b = new ImplRunner(impl, trace.config);
  a.boot();
  b.boot();
  trace.events.forEach((e, i) => {
    a.step(e.event, i + 1);
    b.step(e.event, i + 1);
    const sv = specView(a.state);
    expect(implView(b.kernel, Object.keys(sv.tcbs).map(Number)), `after step ${i + 1}`).toEqual(sv);
  });
}

function withScheduler(t: Trace, scheduler: 'benno' | 'lazy'): Trace {
  return { ...t, config: { ...t.config, variant: { ...t.config.variant, scheduler } } };
}

const files = readdirSync('scenarios').filter((f) => /^(sched|tcb|ipc)-.*\.json$/.test(f)).sort();

describe.each(['benno', 'lazy'] as const)('scheduler state equals the spec along traces (%s)', (scheduler) => {
  for (const f of files) {
    it(f, async () => {
      await checkTrace(withScheduler(parseTraceText(readFileSync(`scenarios/${f}`, 'utf8')), scheduler));
    });
  }

  it('random traces after the generators\' setup', async () => {
    for (let seed = 1; seed <= 4; seed++) {
      const events = fc.sample(fc.array(arbEvent(defaultConfig()), { minLength: 200, maxLength: 200 }), { seed, numRuns: 1 })[0]!;
      const raw = { format: 'l4check-trace/1', name: `random ${seed}`, config: { variant: { scheduler, fastpath: seed % 2 === 0 } }, events: [...setupEvents(), ...events] };
      await checkTrace(parseTrace(raw));
    }
  }, 60_000);
});
