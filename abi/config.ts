// The boot configuration of a trace file (trace-format.md "config"), with its defaults.

export interface UntypedRegion {
  paddr: number;
  sizeBits: number;
}

export interface Variant {
  scheduler: 'benno' | 'lazy';
  fastpath: boolean;
}

export interface Config {
  memoryBits: number;
  untyped: UntypedRegion[];
  rootCNodeBits: number;
  timeslice: number;
  tlbEntries: number;
  irqLines: number;
  variant: Variant;
  mutant?: string;
  seed?: number;
  path?: string;
  generator?: unknown;
}

export const DEFAULT_VARIANT: Variant = { scheduler: 'benno', fastpath: true };

/** [2 MiB, 2^memoryBits) cut into maximal naturally aligned blocks, ascending. */
export function defaultUntyped(memoryBits: number): UntypedRegion[] {
  const out: UntypedRegion[] = [];
  let p = 0x00200000;
  const end = 2 ** memoryBits;
  while (p < end) {
    let bits = 21;
    while (p % 2 ** (bits + 1) === 0 && p + 2 ** (bits + 1) <= end) bits++;
    out.push({ paddr: p, sizeBits: bits });
    p += 2 ** bits;
  }
  return out;
}

export function defaultConfig(): Config {
  return {
    memoryBits: 24,
    untyped: defaultUntyped(24),
    rootCNodeBits: 12,
    timeslice: 5,
    tlbEntries: 64,
    irqLines: 32,
    variant: { ...DEFAULT_VARIANT },
  };
}
