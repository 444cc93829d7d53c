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
import { ALL_CONTRACTS, CONTRACT_TABLE, decodeStep, type Contract } from '../properties/contracts';
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

export function runContractBench(runs = 40, repeat = 1): BenchResult[] {
  setSpecFreeze(false);
  const data = Array.from({ length: runs }, (_, i) => stepsOf(randomWorkload(undefined, i + 1)));
  const out: BenchResult[] = [
    { name: 'every invariant', value: cost(data, ALL_INVARIANTS, repeat), unit: 'µs/event' },
    { name: 'every contract', value: cost(data, ALL_CONTRACTS, repeat), unit: 'µs/event' },
  ];
  const all = data.flatMap((r) => r.steps);
  for (const c of ALL_CONTRACTS) {
    const row = CONTRACT_TABLE.find((r) => r.name === c.name)!;
    const judged = all.filter((ctx) => subjectOf(row, ctx)).length;
    out.push({ name: `${c.name} (${judged} of ${all.length} steps its subject)`, value: cost(data, [c], repeat), unit: 'µs/event' });
  }
  return out;
}

/** Whether a step is one the row judges (its method with an outcome, its syscall, or any event). */
function subjectOf(row: Contract, ctx: StepContext): boolean {
  if (row.kind === 'event') return true;
  const d = decodeStep(ctx);
  if (row.kind === 'syscall') return d.kind === 'syscall' && d.syscall === row.syscall;
  return d.kind === 'invocation' && d.method === row.method && d.outcome.tag !== 'unknown';
}
