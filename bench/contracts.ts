/**
 * The contracts' cost: CPU µs per event of each contract row, of every contract together, and of
 * every invariant together (for scale), on the spec states of generated runs — the random
 * workload of bench/kernels.ts (a check run's setup and 250 generated events) for `runs` seeds.
 * The states are made once; each check then runs over all their steps (docs/contracts.md).
 */

import { defaultConfig } from '../abi/config';
import type { KernelEvent } from '../abi/events';
import { bootState, step, setSpecFreeze, type KernelState } from '../spec';
import type { Invariant, StepContext } from '../properties/invariants/types';
import { MonitorSet } from '../properties/invariants/run';
import { ALL_INVARIANTS } from '../properties/invariants';
import { ALL_CONTRACTS } from '../properties/contracts';
import { randomWorkload } from './kernels';
import type { BenchResult } from './machine';

function stepsOf(events: KernelEvent[]): { boot: KernelState; steps: StepContext[] } {
  const config = defaultConfig();
  const boot = bootState(config);
  let s = boot;
  const steps: StepContext[] = [];
  events.forEach((event, i) => {
    const r = step(s, event, i + 1);
    steps.push({ step: i + 1, event, before: s, after: r.state, observation: r.observation });
    s = r.state;
  });
  return { boot, steps };
}

/** CPU µs per step of running `checks` (fresh monitors per run) over the runs' steps. */
function cost(runs: { boot: KernelState; steps: StepContext[] }[], checks: readonly Invariant[], repeat: number): number {
  let n = 0;
  const start = process.cpuUsage();
  for (let k = 0; k < repeat; k++) {
    for (const r of runs) {
      const set = new MonitorSet(checks, r.boot, false);
      // Fresh contexts: the contracts memoise their decoding per context object.
      for (const c of r.steps) {
        set.step({ ...c });
        n++;
      }
    }
  }
  const u = process.cpuUsage(start);
  return (u.user + u.system) / n;
}

export function runContractBench(runs = 40, repeat = 3): BenchResult[] {
  setSpecFreeze(false);
  const data = Array.from({ length: runs }, (_, i) => stepsOf(randomWorkload(undefined, i + 1)));
  const out: BenchResult[] = [
    { name: 'every invariant', value: cost(data, ALL_INVARIANTS, repeat), unit: 'µs/event' },
    { name: 'every contract', value: cost(data, ALL_CONTRACTS, repeat), unit: 'µs/event' },
  ];
  for (const c of ALL_CONTRACTS) out.push({ name: c.name, value: cost(data, [c], repeat), unit: 'µs/event' });
  return out;
}
