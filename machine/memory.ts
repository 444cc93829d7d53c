/**
 * Physical memory: 2^memoryBits bytes as 32-bit little-endian words in a Uint32Array.
 *
 * Every access the kernel makes goes through load32/store32/load8/store8/zero/copy, which count
 * loads and stores, count the distinct 64-byte lines touched in the current counter window
 * (an epoch stamp per line: a stamp other than the current epoch means a new line, so nothing is
 * cleared between windows), and record written 16-byte chunks (seL4's smallest object) in a
 * dirty set: a byte per chunk plus a list of dirty chunk indices, so that taking or resetting the
 * set costs O(number dirty). An access outside memory or misaligned throws MachineException.
 *
 * peek32 reads without counting: for abstraction functions and diagnostics, never for the kernel.
 *
 * Power-on reset (powerOn, used by Machine.reset) zeroes only what was written: every first write
 * to a dirty chunk (the cold markDirty path, which any write reaches at least once after each
 * dirty reset) also records its 1 KiB block in a second, never-reset-by-the-checker list.
 */

import type { Counters } from './counters';
import { MachineException } from './exception';

export const LINE_BITS = 6;
export const LINE_BYTES = 1 << LINE_BITS;
export const DIRTY_CHUNK_BITS = 4;
export const DIRTY_CHUNK_BYTES = 1 << DIRTY_CHUNK_BITS;
/** Granularity of the written-since-power-on record that powerOn() zeroes. */
export const WRITTEN_BLOCK_BITS = 10;
const CHUNKS_PER_BLOCK_BITS = WRITTEN_BLOCK_BITS - DIRTY_CHUNK_BITS;

/** PhysicalMemory.saveMemory's value (immutable by convention: restoring does not consume it). */
export interface MemorySnapshot {
  readonly bytes: number;
  /** Written block indices, and their words, block after block. */
  readonly blocks: Uint32Array;
  readonly contents: Uint32Array;
  /** Dirty chunk indices in order of first write. */
  readonly dirty: Uint32Array;
  /** Lines stamped in the current window (counted already). */
  readonly lines: Uint32Array;
}

export class PhysicalMemory {
  readonly bytes: number;
  private readonly words: Uint32Array;
  /** The counters every access increments (shared with the MMU). */
  readonly counters: Counters;
  private readonly lineStamp: Uint32Array;
  private epoch = 1;
  private readonly dirtyMap: Uint8Array;
  private dirtyList: Uint32Array;
  private dirtyN = 0;
  /** Blocks (2^WRITTEN_BLOCK_BITS bytes) written since construction or the last powerOn(). */
  private readonly writtenMap: Uint8Array;
  private writtenList: Uint32Array;
  private writtenN = 0;

  constructor(memoryBits: number, counters: Counters) {
    this.bytes = 2 ** memoryBits;
    this.words = new Uint32Array(this.bytes >>> 2);
    this.counters = counters;
    this.lineStamp = new Uint32Array(this.bytes >>> LINE_BITS);
    this.dirtyMap = new Uint8Array(this.bytes >>> DIRTY_CHUNK_BITS);
    this.dirtyList = new Uint32Array(1024);
    this.writtenMap = new Uint8Array(this.bytes >>> WRITTEN_BLOCK_BITS);
    this.writtenList = new Uint32Array(256);
  }

  // ---- counted access (the kernel's) ----

  load32(paddr: number): number {
    if ((paddr & 3) !== 0 || paddr >>> 0 !== paddr || paddr >= this.bytes) this.bad(paddr, 3);
    this.counters.loads++;
    const line = paddr >>> LINE_BITS;
    if (this.lineStamp[line] !== this.epoch) this.newLine(line);
    return this.words[paddr >>> 2];
  }

  /** Stores value mod 2^32 (negative numbers wrap, as a register would). */
  store32(paddr: number, value: number): void {
    if ((paddr & 3) !== 0 || paddr >>> 0 !== paddr || paddr >= this.bytes) this.bad(paddr, 3);
    this.counters.stores++;
    const line = paddr >>> LINE_BITS;
    if (this.lineStamp[line] !== this.epoch) this.newLine(line);
    const chunk = paddr >>> DIRTY_CHUNK_BITS;
    if (this.dirtyMap[chunk] === 0) this.markDirty(chunk);
    this.words[paddr >>> 2] = value;
  }

  load8(paddr: number): number {
    if (paddr >>> 0 !== paddr || paddr >= this.bytes) this.bad(paddr, 0);
    this.counters.loads++;
    const line = paddr >>> LINE_BITS;
    if (this.lineStamp[line] !== this.epoch) this.newLine(line);
    return (this.words[paddr >>> 2] >>> ((paddr & 3) << 3)) & 0xff;
  }

  store8(paddr: number, value: number): void {
    if (paddr >>> 0 !== paddr || paddr >= this.bytes) this.bad(paddr, 0);
    this.counters.stores++;
    const line = paddr >>> LINE_BITS;
    if (this.lineStamp[line] !== this.epoch) this.newLine(line);
    const chunk = paddr >>> DIRTY_CHUNK_BITS;
    if (this.dirtyMap[chunk] === 0) this.markDirty(chunk);
    const i = paddr >>> 2;
    const shift = (paddr & 3) << 3;
    this.words[i] = (this.words[i] & ~(0xff << shift)) | ((value & 0xff) << shift);
  }

  /** Zeroes [paddr, paddr+bytes): both word-aligned. Counts one store per word. */
  zero(paddr: number, bytes: number): void {
    this.checkRange(paddr, bytes);
    if (bytes === 0) return;
    this.counters.stores += bytes >>> 2;
    this.touchRange(paddr, bytes, true);
    this.words.fill(0, paddr >>> 2, (paddr + bytes) >>> 2);
  }

  /** Copies [src, src+bytes) to dst (memmove: overlap allowed), word-aligned. One load and one store per word. */
  copy(dst: number, src: number, bytes: number): void {
    this.checkRange(src, bytes);
    this.checkRange(dst, bytes);
    if (bytes === 0) return;
    this.counters.loads += bytes >>> 2;
    this.counters.stores += bytes >>> 2;
    this.touchRange(src, bytes, false);
    this.touchRange(dst, bytes, true);
    this.words.copyWithin(dst >>> 2, src >>> 2, (src + bytes) >>> 2);
  }

  /**
   * Counted stores of `src[order[i]]` to the words at paddr + 4i, i < order.length (a saved
   * register file): exactly what that many store32 calls in address order count and mark.
   */
  storeWords(paddr: number, src: Uint32Array, order: readonly number[]): void {
    const n = order.length;
    this.checkWords(paddr, n);
    if (n === 0) return;
    this.counters.stores += n;
    this.touchRange(paddr, 4 * n, true);
    const words = this.words;
    const w = paddr >>> 2;
    for (let i = 0; i < n; i++) words[w + i] = src[order[i]];
  }

  /** Counted loads of the words at paddr + 4i into `dst[order[i]]`: what that many load32 calls count. */
  loadWords(paddr: number, dst: Uint32Array, order: readonly number[]): void {
    const n = order.length;
    this.checkWords(paddr, n);
    if (n === 0) return;
    this.counters.loads += n;
    this.touchRange(paddr, 4 * n, false);
    const words = this.words;
    const w = paddr >>> 2;
    for (let i = 0; i < n; i++) dst[order[i]] = words[w + i];
  }

  /** load32 without the address checks: for the MMU, which has checked the address already. */
  loadTrusted(paddr: number): number {
    this.counters.loads++;
    const line = paddr >>> LINE_BITS;
    if (this.lineStamp[line] !== this.epoch) this.newLine(line);
    return this.words[paddr >>> 2];
  }

  /** store32 without the address checks: for the MMU, which has checked the address already. */
  storeTrusted(paddr: number, value: number): void {
    this.counters.stores++;
    const line = paddr >>> LINE_BITS;
    if (this.lineStamp[line] !== this.epoch) this.newLine(line);
    const chunk = paddr >>> DIRTY_CHUNK_BITS;
    if (this.dirtyMap[chunk] === 0) this.markDirty(chunk);
    this.words[paddr >>> 2] = value;
  }

  // ---- uncounted access ----

  /** Reads a word without counting or stamping anything (abstraction, diagnostics). */
  peek32(paddr: number): number {
    if ((paddr & 3) !== 0 || paddr >>> 0 !== paddr || paddr >= this.bytes) this.bad(paddr, 3);
    return this.words[paddr >>> 2];
  }

  /** True when [paddr, paddr+bytes) is inside memory (no exception, no counting). */
  contains(paddr: number, bytes: number): boolean {
    return Number.isInteger(paddr) && Number.isInteger(bytes) && paddr >= 0 && bytes >= 0 && paddr + bytes <= this.bytes;
  }

  // ---- power-on reset ----

  /**
   * Memory as at power-on: every word written since construction (or the last powerOn) zeroed,
   * the dirty set empty, and a new line epoch (so every line counts as new again, as on a fresh
   * memory). Costs O(blocks written), not O(memory). Counters are the caller's (Machine.reset).
   */
  powerOn(): void {
    const words = this.words;
    const perBlock = 1 << (WRITTEN_BLOCK_BITS - 2);
    for (let i = 0; i < this.writtenN; i++) {
      const b = this.writtenList[i];
      this.writtenMap[b] = 0;
      words.fill(0, b * perBlock, (b + 1) * perBlock);
    }
    this.writtenN = 0;
    this.resetDirty();
    this.newEpoch();
  }

  /**
   * The memory's state as a value: the contents of the blocks written since power-on, the dirty
   * chunks (in order of first write) and the lines already counted in the current window.
   * restoreMemory(s), on this memory or another of the same size, makes it indistinguishable
   * through this API from this one now. O(blocks written) plus a scan of the line stamps.
   */
  saveMemory(): MemorySnapshot {
    const perBlock = 1 << (WRITTEN_BLOCK_BITS - 2);
    const blocks = this.writtenList.slice(0, this.writtenN);
    const contents = new Uint32Array(blocks.length * perBlock);
    for (let i = 0; i < blocks.length; i++) contents.set(this.words.subarray(blocks[i] * perBlock, (blocks[i] + 1) * perBlock), i * perBlock);
    const lines: number[] = [];
    for (let l = 0; l < this.lineStamp.length; l++) if (this.lineStamp[l] === this.epoch) lines.push(l);
    return { bytes: this.bytes, blocks, contents, dirty: this.dirtyList.slice(0, this.dirtyN), lines: Uint32Array.from(lines) };
  }

  /** Back to the state saveMemory() took (see there); O(blocks written now and then). */
  restoreMemory(s: MemorySnapshot): void {
    if (s.bytes !== this.bytes) throw new RangeError(`restoreMemory: a snapshot of ${s.bytes} bytes on a memory of ${this.bytes}`);
    this.powerOn();
    const perBlock = 1 << (WRITTEN_BLOCK_BITS - 2);
    for (let i = 0; i < s.blocks.length; i++) {
      this.words.set(s.contents.subarray(i * perBlock, (i + 1) * perBlock), s.blocks[i] * perBlock);
      this.markWritten(s.blocks[i]);
    }
    for (const chunk of s.dirty) {
      // markDirty also records the chunk's block, written already.
      this.markDirty(chunk);
    }
    for (const line of s.lines) this.lineStamp[line] = this.epoch;
  }

  /** Number of 2^WRITTEN_BLOCK_BITS-byte blocks written since construction or the last powerOn (what it will zero). */
  get writtenBlocks(): number {
    return this.writtenN;
  }

  // ---- counter windows ----

  /** Starts a new window for distinct-line counting (every line counts again once). */
  newEpoch(): void {
    this.epoch = (this.epoch + 1) >>> 0;
    if (this.epoch === 0) {
      this.lineStamp.fill(0);
      this.epoch = 1;
    }
  }

  // ---- dirty tracking ----

  get dirtyCount(): number {
    return this.dirtyN;
  }

  /** Was any byte of the 16-byte chunk holding paddr written since the last reset? */
  isDirty(paddr: number): boolean {
    return this.dirtyMap[paddr >>> DIRTY_CHUNK_BITS] === 1;
  }

  /** The dirty chunk indices (chunk i = bytes [16i, 16i+16)), in order of first write. A view: valid until the next store or reset. */
  dirtyChunks(): Uint32Array {
    return this.dirtyList.subarray(0, this.dirtyN);
  }

  /** The dirty chunk indices (a copy, in order of first write), and resets the set. */
  takeDirty(): Uint32Array {
    const out = this.dirtyList.slice(0, this.dirtyN);
    this.resetDirty();
    return out;
  }

  /** The dirty bytes as sorted, merged [start, end) ranges. */
  dirtyRanges(): Array<[number, number]> {
    const chunks = Array.from(this.dirtyChunks()).sort((a, b) => a - b);
    const out: Array<[number, number]> = [];
    for (const c of chunks) {
      const start = c * DIRTY_CHUNK_BYTES;
      const last = out[out.length - 1];
      if (last && last[1] === start) last[1] = start + DIRTY_CHUNK_BYTES;
      else out.push([start, start + DIRTY_CHUNK_BYTES]);
    }
    return out;
  }

  /** Empties the dirty set in O(number dirty). */
  resetDirty(): void {
    for (let i = 0; i < this.dirtyN; i++) this.dirtyMap[this.dirtyList[i]] = 0;
    this.dirtyN = 0;
  }

  // ---- cold paths ----

  private newLine(line: number): void {
    this.lineStamp[line] = this.epoch;
    this.counters.lines++;
  }

  private markDirty(chunk: number): void {
    this.dirtyMap[chunk] = 1;
    if (this.dirtyN === this.dirtyList.length) {
      const grown = new Uint32Array(this.dirtyList.length * 2);
      grown.set(this.dirtyList);
      this.dirtyList = grown;
    }
    this.dirtyList[this.dirtyN++] = chunk;
    const block = chunk >>> CHUNKS_PER_BLOCK_BITS;
    if (this.writtenMap[block] === 0) this.markWritten(block);
  }

  private markWritten(block: number): void {
    this.writtenMap[block] = 1;
    if (this.writtenN === this.writtenList.length) {
      const grown = new Uint32Array(this.writtenList.length * 2);
      grown.set(this.writtenList);
      this.writtenList = grown;
    }
    this.writtenList[this.writtenN++] = block;
  }

  /** Throws as load32/store32 would for the first bad word of [paddr, paddr + 4n). */
  private checkWords(paddr: number, n: number): void {
    if ((paddr & 3) !== 0 || paddr >>> 0 !== paddr || paddr + 4 * n > this.bytes) {
      for (let i = 0; i < n; i++) {
        const a = paddr + 4 * i;
        if ((a & 3) !== 0 || a >>> 0 !== a || a >= this.bytes) this.bad(a, 3);
      }
    }
  }

  /** Stamps every line of a range, and marks its chunks dirty when `write`. */
  private touchRange(paddr: number, bytes: number, write: boolean): void {
    const end = paddr + bytes;
    for (let line = paddr >>> LINE_BITS; line <= (end - 1) >>> LINE_BITS; line++) {
      if (this.lineStamp[line] !== this.epoch) this.newLine(line);
    }
    if (!write) return;
    for (let c = paddr >>> DIRTY_CHUNK_BITS; c <= (end - 1) >>> DIRTY_CHUNK_BITS; c++) {
      if (this.dirtyMap[c] === 0) this.markDirty(c);
    }
  }

  private checkRange(paddr: number, bytes: number): void {
    if (!Number.isInteger(paddr) || paddr < 0 || paddr >= 2 ** 32) this.bad(paddr, 0);
    if (!Number.isInteger(bytes) || bytes < 0 || (bytes & 3) !== 0 || (paddr & 3) !== 0) {
      throw new MachineException('unaligned', paddr, `range 0x${paddr.toString(16)}+${bytes} is not word-aligned`);
    }
    if (paddr + bytes > this.bytes) throw new MachineException('out-of-range', paddr + bytes - 1, `range 0x${paddr.toString(16)}+${bytes} is outside memory`);
  }

  /** Throws the MachineException for a bad address (alignMask 3 for word access, 0 for bytes). */
  private bad(paddr: number, alignMask: number): never {
    if (typeof paddr !== 'number' || paddr >>> 0 !== paddr) {
      throw new MachineException('bad-address', paddr, `physical address ${String(paddr)} is not a u32`);
    }
    if ((paddr & alignMask) !== 0) throw new MachineException('unaligned', paddr);
    throw new MachineException('out-of-range', paddr);
  }
}
