/**
 * Machine micro-benchmarks: physical word loads and stores per second, and user translations per
 * second with TLB hits and with TLB misses (each miss a two-level walk). Each runs for ~0.5 s after
 * a warm-up. Rates are per second of this process's CPU time (process.cpuUsage), so that other
 * work on a shared machine does not halve them; on an idle machine CPU and wall time agree.
 * `l4check bench` calls runMachineBench(); `npx tsx bench/machine.ts` prints a table.
 */

import { pathToFileURL } from 'node:url';
import { AP, Machine, pdeCoarse, pteSmall } from '../machine/index';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const RUN_MS = 500;
const BATCH = 1 << 20;

/** Calls `batch` (which performs BATCH operations) for RUN_MS of CPU time; operations per CPU second. */
function measure(batch: () => number): number {
  let sink = 0;
  for (let i = 0; i < 5; i++) sink ^= batch(); // warm-up, and let the JIT settle
  let ops = 0;
  const start = process.cpuUsage();
  let cpuMs = 0;
  while (cpuMs < RUN_MS) {
    sink ^= batch();
    ops += BATCH;
    const used = process.cpuUsage(start);
    cpuMs = (used.user + used.system) / 1000;
  }
  if (sink === 0.5) console.log(sink); // keep the results alive
  return ops / (cpuMs / 1000);
}

const PD = 0x4000;
const PT = 0x8000;
const FRAMES = 0x100000;
const PAGES = 128; // twice the TLB: cycling through them misses every time
const TLB_ENTRIES = 64;

function userMachine(): Machine {
  const m = new Machine({ memoryBits: 24, tlbEntries: TLB_ENTRIES, irqLines: 32 });
  m.store32(PD, pdeCoarse(PT));
  for (let p = 0; p < PAGES; p++) m.store32(PT + 4 * p, pteSmall(FRAMES + p * 4096, AP.UserReadWrite));
  m.setVSpace(PD, 1);
  m.kernelExit();
  return m;
}

export function runMachineBench(): BenchResult[] {
  const m = new Machine({ memoryBits: 24, tlbEntries: TLB_ENTRIES, irqLines: 32 });
  const mask = (1 << 16) - 4; // a 64 KiB working set
  const loads = measure(() => {
    let s = 0;
    for (let i = 0; i < BATCH; i++) s ^= m.load32((i << 2) & mask);
    return s;
  });
  const stores = measure(() => {
    for (let i = 0; i < BATCH; i++) m.store32((i << 2) & mask, i);
    return 1;
  });

  const u = userMachine();
  const hitPages = 16 * 4096 - 4; // 16 pages: all stay in the TLB
  const hits = measure(() => {
    let s = 0;
    for (let i = 0; i < BATCH; i++) {
      if (u.userLoad((i << 2) & hitPages) === 0) s ^= u.loaded;
    }
    return s;
  });
  const hitRate = u.counters.tlbHits / (u.counters.tlbHits + u.counters.tlbMisses);

  const w = userMachine();
  const misses = measure(() => {
    let s = 0;
    for (let i = 0; i < BATCH; i++) {
      if (w.userLoad((i & (PAGES - 1)) << 12) === 0) s ^= w.loaded;
    }
    return s;
  });
  const missRate = w.counters.tlbMisses / (w.counters.tlbHits + w.counters.tlbMisses);
  if (hitRate < 0.999 || missRate < 0.999) throw new Error(`bench set-up is wrong: hit rate ${hitRate}, miss rate ${missRate}`);

  return [
    { name: 'physical word loads (load32)', value: loads, unit: 'ops/s' },
    { name: 'physical word stores (store32)', value: stores, unit: 'ops/s' },
    { name: 'user loads, TLB hit', value: hits, unit: 'ops/s' },
    { name: 'user loads, TLB miss (walk)', value: misses, unit: 'ops/s' },
  ];
}

function printTable(results: BenchResult[]): void {
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) {
    const ns = 1e9 / r.value;
    console.log(`${r.name.padEnd(width)}  ${(r.value / 1e6).toFixed(1).padStart(8)} M${r.unit}  (${ns.toFixed(2)} ns/op)`);
  }
  console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(runMachineBench());
}
