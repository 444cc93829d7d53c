// `l4check bench`: throughput figures (DESIGN §6) — machine accesses and translations, and kernel
// events per second on the spec, the impl and checked runs. Results go to stdout as a table (or
// JSON with --json); docs/performance.md records them. With --ipc instead: the seed's IPC table in
// the machine's counters (bench/ipc.ts), which docs/ipc-cost.md records.

import { runMachineBench } from '../bench/machine';
import { runKernelBench } from '../bench/kernels';
import { formatIpcBench, runIpcBench } from '../bench/ipc';
import { runContractBench } from '../bench/contracts';

function fmt(v: number, unit: string): string {
  if (unit === 'MiB') return `${v.toFixed(1)} MiB`;
  if (unit === 'µs/event') return `${v.toFixed(2)} µs/event`;
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)} M${unit.replace(/^ops/, '')}` : `${Math.round(v).toLocaleString('en')} ${unit}`;
}

export interface BenchOpts {
  json?: boolean;
  only?: string;
  ipc?: boolean;
}

export async function benchCommand(opts: BenchOpts): Promise<number> {
  if (opts.ipc) {
    const r = await runIpcBench();
    if (opts.json) process.stdout.write(JSON.stringify({ node: process.version, date: new Date().toISOString(), ...r }) + '\n');
    else process.stdout.write(formatIpcBench(r));
    return 0;
  }
  const results = opts.only === 'contracts' ? runContractBench() : [
    ...(opts.only === 'kernels' ? [] : runMachineBench()),
    ...(opts.only === 'machine' ? [] : await runKernelBench()),
  ];
  if (opts.json) {
    process.stdout.write(JSON.stringify({ node: process.version, date: new Date().toISOString(), results }) + '\n');
  } else {
    for (const r of results) process.stdout.write(`${r.name.padEnd(52)} ${fmt(r.value, r.unit)}\n`);
  }
  return 0;
}
