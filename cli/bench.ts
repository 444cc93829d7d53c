// `l4check bench`: throughput figures (DESIGN §6). Machine figures come from bench/machine.ts.

export function benchCommand(): number {
  process.stderr.write('l4check bench: not available yet\n');
  return 2;
}
