/**
 * Cost counters, as the seed talk measures an IPC: memory loads and stores, distinct 64-byte lines
 * touched (cache footprint), TLB hits and misses, kernel entries.
 *
 * The fields are live cumulative totals, incremented in place by memory.ts and mmu.ts (plain
 * numbers: the hot path does `counters.loads++`). A *window* is the stretch between a kernelEntry
 * and the matching kernelExit; `perEntry()` gives the counts of the open window, or of the last
 * closed one while the CPU is in user mode. Distinct lines are counted per window (and per stretch
 * of user mode between windows); the cumulative `lines` is the sum over those stretches.
 */

export const COUNTER_NAMES = ['loads', 'stores', 'lines', 'tlbHits', 'tlbMisses', 'kernelEntries'] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];
export type CounterValues = Record<CounterName, number>;

export function zeroCounters(): CounterValues {
  return { loads: 0, stores: 0, lines: 0, tlbHits: 0, tlbMisses: 0, kernelEntries: 0 };
}

export class Counters {
  loads = 0;
  stores = 0;
  lines = 0;
  tlbHits = 0;
  tlbMisses = 0;
  kernelEntries = 0;

  private windowOpen = false;
  private readonly start: CounterValues = zeroCounters();
  private readonly last: CounterValues = zeroCounters();

  /** Opens a window (kernel entry): per-entry counts start from zero. */
  openWindow(): void {
    this.copyInto(this.start);
    this.windowOpen = true;
  }

  /** Closes the window (kernel exit): its counts stay readable through perEntry(). */
  closeWindow(): void {
    this.diffInto(this.last);
    this.windowOpen = false;
  }

  get inWindow(): boolean {
    return this.windowOpen;
  }

  /** Counts of the open window, or of the last closed one. Fills `out` if given (no allocation). */
  perEntry(out: CounterValues = zeroCounters()): CounterValues {
    if (this.windowOpen) return this.diffInto(out);
    for (const k of COUNTER_NAMES) out[k] = this.last[k];
    return out;
  }

  /** Totals since construction or the last reset(). */
  cumulative(out: CounterValues = zeroCounters()): CounterValues {
    return this.copyInto(out);
  }

  /** Zeroes totals and windows; an open window stays open, starting from zero. */
  reset(): void {
    for (const k of COUNTER_NAMES) {
      this[k] = 0;
      this.start[k] = 0;
      this.last[k] = 0;
    }
  }

  private copyInto(out: CounterValues): CounterValues {
    for (const k of COUNTER_NAMES) out[k] = this[k];
    return out;
  }

  private diffInto(out: CounterValues): CounterValues {
    for (const k of COUNTER_NAMES) out[k] = this[k] - this.start[k];
    return out;
  }
}
