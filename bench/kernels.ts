/**
 * Kernel throughput: events per second of CPU time on the abstract kernel alone, the concrete
 * kernel alone, and both with refinement checked at every step (incremental, with the periodic full
 * check), on two workloads:
 *  - ipc: the seed's benchmark — a client Calls a server that answers with ReplyRecv, forever
 *    (the fastpath's case);
 *  - random: one run of l4check check's default size (its world's setup, then 250 generated
 *    events fed by its driver: nonces, re-issues, the watchdog), as the list of events it ran.
 * Also the heap growth over a long run (memory must stay flat in trace length).
 *
 * One event is one trace event (a syscall, a user load/store, an exception, an irq, a tick of
 * `count` timer interrupts, a debugName) from boot, boot time included. The impl is measured twice:
 * "impl alone" steps with observations (what `l4check check --kernel impl` and the checker need),
 * "impl alone, no observations" applies events only (applyEvent). Impl runs reuse one machine
 * across boots (Machine.reset): allocating a 16 MiB machine per boot costs ~5-10 ms.
 */

import fc from 'fast-check';
import { defaultConfig } from '../abi/config';
import type { KernelEvent } from '../abi/events';
import { parseEvent } from '../abi/trace';
import { DEFAULT_GENERATOR_OPTIONS, WORLD, arbFullRun, layoutWorld, setupEvents, type RawEvent } from '../properties/generators';
import { executeRun } from '../properties/check/execute';
import { RefinementChecker, prepareCheckedRun } from '../refinement/check';
import { ImplRunner, SpecRunner, loadImpl } from '../refinement/kernels';
import type { BenchResult } from './machine';

const config = defaultConfig();
const parse = (raws: RawEvent[]): KernelEvent[] => raws.map((r, i) => parseEvent(r, `events[${i}]`, config).event);

/** Setup, then the client/server loop: root Calls the endpoint, thread a answers with ReplyRecv. */
export function ipcWorkload(rounds: number): KernelEvent[] {
  const call: RawEvent = { syscall: 'Call', cap: WORLD.ep, info: { label: 1 }, mrs: [1, 2] };
  const replyRecv: RawEvent = { syscall: 'ReplyRecv', cap: WORLD.ep, info: { label: 0 }, mrs: [3] };
  const raws = [...setupEvents(), call, { syscall: 'Recv', cap: WORLD.ep }];
  for (let i = 0; i < rounds; i++) raws.push(replyRecv, call);
  return parse(raws);
}

export function randomWorkload(n = DEFAULT_GENERATOR_OPTIONS.steps, seed = 42): KernelEvent[] {
  const generator = { ...DEFAULT_GENERATOR_OPTIONS, steps: n };
  const [run] = fc.sample(arbFullRun(generator, config), { numRuns: 1, seed });
  const ran = executeRun(run, { config, kernel: 'spec', invariants: [], generator }, layoutWorld(generator), { trace: true }).events!;
  return parse(ran.map(({ as: _, ...e }) => e));
}

interface Runner {
  step(e: KernelEvent, n: number): unknown;
}

/**
 * Runs the workload from boot repeatedly for at least `ms` of CPU time; events per CPU second.
 * `make` gets the previous run's runner (to reuse its machine).
 */
function throughput<R extends Runner>(make: (previous: R | undefined) => R, events: KernelEvent[], ms: number, run = (r: R) => {
  for (let i = 0; i < events.length; i++) r.step(events[i], i + 1);
}): number {
  let done = 0;
  const start = process.cpuUsage();
  let cpu = 0;
  let r: R | undefined;
  while (cpu < ms) {
    r = make(r);
    run(r);
    done += events.length;
    const u = process.cpuUsage(start);
    cpu = (u.user + u.system) / 1000;
  }
  return done / (cpu / 1000);
}

export async function runKernelBench(ms = 1500): Promise<BenchResult[]> {
  prepareCheckedRun();
  const impl = await loadImpl();
  const out: BenchResult[] = [];
  for (const [name, events] of [['ipc', ipcWorkload(5000)], ['random', randomWorkload()]] as const) {
    out.push({ name: `${name}: spec alone`, value: throughput(() => new SpecRunner(config), events, ms), unit: 'events/s' });
    const implRunner = (prev: ImplRunner | undefined) => new ImplRunner(impl, config, prev?.kernel.m);
    out.push({ name: `${name}: impl alone`, value: throughput(implRunner, events, ms), unit: 'events/s' });
    out.push({
      name: `${name}: impl alone, no observations`,
      value: throughput(implRunner, events, ms, (r) => {
        for (let i = 0; i < events.length; i++) r.apply(events[i]);
      }),
      unit: 'events/s',
    });
    out.push({
      name: `${name}: checked (both kernels, refinement)`,
      value: throughput(() => {
        const c = new RefinementChecker(config, impl);
        c.boot();
        return c;
      }, events, ms),
      unit: 'events/s',
    });
  }
  // How much of the random workload the kernel actually takes: events arriving while the idle
  // thread runs are skipped (no kernel entry), which makes that workload cheap per event.
  {
    const k = impl.bootKernel(config);
    const events = randomWorkload();
    let skipped = 0;
    for (const e of events) if (impl.applyEvent(k, e) === impl.EVENT_SKIPPED) skipped++;
    out.push({ name: 'random: events skipped (idle thread running)', value: (100 * skipped) / events.length, unit: '%' });
  }
  // Memory flat in trace length: heap after a long checked run of the ipc loop.
  const long = ipcWorkload(50000);
  const c = new RefinementChecker(config, impl);
  c.boot();
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < long.length; i++) c.step(long[i], i + 1);
  global.gc?.();
  out.push({ name: `heap growth over ${long.length} checked events`, value: (process.memoryUsage().heapUsed - before) / 2 ** 20, unit: 'MiB' });
  return out;
}
