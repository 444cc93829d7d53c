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
    // Written out field by field (not a loop over COUNTER_NAMES): this runs on every kernel entry.
    const s = this.start;
    s.loads = this.loads;
    s.stores = this.stores;
    s.lines = this.lines;
    s.tlbHits = this.tlbHits;
    s.tlbMisses = this.tlbMisses;
    s.kernelEntries = this.kernelEntries;
    this.windowOpen = true;
  }

  /** Closes the window (kernel exit): its counts stay readable through perEntry(). */
  closeWindow(): void {
    const s = this.start;
    const l = this.last;
    l.loads = this.loads - s.loads;
    l.stores = this.stores - s.stores;
    l.lines = this.lines - s.lines;
    l.tlbHits = this.tlbHits - s.tlbHits;
    l.tlbMisses = this.tlbMisses - s.tlbMisses;
    l.kernelEntries = this.kernelEntries - s.kernelEntries;
    this.windowOpen = false;
  }

  get inWindow(): boolean {
    return this.windowOpen;
  }

  /** Counts of the open window, or of the last closed one. Fills `out` if given (no allocation). */
  perEntry(out: CounterValues = zeroCounters()): CounterValues {
    if (this.windowOpen) return this.diffInto(out);
    const l = this.last;
    out.loads = l.loads;
    out.stores = l.stores;
    out.lines = l.lines;
    out.tlbHits = l.tlbHits;
    out.tlbMisses = l.tlbMisses;
    out.kernelEntries = l.kernelEntries;
    return out;
  }

  /** Totals since construction or the last reset(). */
  cumulative(out: CounterValues = zeroCounters()): CounterValues {
    return this.copyInto(out);
  }

  /** Power-on state: totals and windows zero, no window open (Machine.reset opens the boot window). */
  powerOn(): void {
    this.reset();
    this.windowOpen = false;
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
    out.loads = this.loads;
    out.stores = this.stores;
    out.lines = this.lines;
    out.tlbHits = this.tlbHits;
    out.tlbMisses = this.tlbMisses;
    out.kernelEntries = this.kernelEntries;
    return out;
  }

  private diffInto(out: CounterValues): CounterValues {
    const s = this.start;
    out.loads = this.loads - s.loads;
    out.stores = this.stores - s.stores;
    out.lines = this.lines - s.lines;
    out.tlbHits = this.tlbHits - s.tlbHits;
    out.tlbMisses = this.tlbMisses - s.tlbMisses;
    out.kernelEntries = this.kernelEntries - s.kernelEntries;
    return out;
  }
}
