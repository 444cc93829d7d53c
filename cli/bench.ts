// `l4check bench`: throughput figures (DESIGN §6) — machine accesses and translations, and kernel
// events per second on the spec, the impl and checked runs. Results go to stdout as a table (or
// JSON with --json); docs/performance.md records them.

import { runMachineBench } from '../bench/machine';
import { runKernelBench } from '../bench/kernels';
import { runContractBench } from '../bench/contracts';

function fmt(v: number, unit: string): string {
  if (unit === 'MiB') return `${v.toFixed(1)} MiB`;
  if (unit === 'µs/event') return `${v.toFixed(2)} µs/event`;
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)} M${unit.replace(/^ops/, '')}` : `${Math.round(v).toLocaleString('en')} ${unit}`;
}

export async function benchCommand(opts: { json?: boolean; only?: string }): Promise<number> {
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
