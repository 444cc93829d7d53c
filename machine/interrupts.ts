/**
 * The interrupt controller: `lines` lines (2..256), each with a pending bit and a mask bit, and
 * the timer wired to line `timerLine` (default TIMER_IRQ = 0; 27 on a QEMU virt board).
 * A device (or the timer) raises a line: it becomes pending, whether masked or not; the
 * kernel asks for the active line — the lowest-numbered line that is pending and unmasked, as a
 * fixed-priority controller answers — masks, unmasks and acknowledges (clears pending). Every line
 * starts masked, as a GIC starts disabled: the kernel unmasks the timer at boot.
 */

import { MachineException } from './exception';

/** The timer's line unless the machine is built with another. */
export const TIMER_IRQ = 0;
/** activeIrq() when no line is pending and unmasked (seL4's irqInvalid). */
export const NO_IRQ = -1;

export class InterruptController {
  readonly lines: number;
  readonly timerLine: number;
  private readonly pending: Uint8Array;
  private readonly masked: Uint8Array;
  /** Number of lines pending and unmasked, so that activeIrq() is O(1) when there are none. */
  private live = 0;

  constructor(lines: number, timerLine = TIMER_IRQ) {
    if (!Number.isInteger(lines) || lines < 2 || lines > 256) {
      throw new RangeError(`irqLines must be an integer in 2..256, got ${lines}`);
    }
    if (!Number.isInteger(timerLine) || timerLine < 0 || timerLine >= lines) {
      throw new RangeError(`timerIrq must be an integer in 0..${lines - 1}, got ${timerLine}`);
    }
    this.lines = lines;
    this.timerLine = timerLine;
    this.pending = new Uint8Array(lines);
    this.masked = new Uint8Array(lines).fill(1);
  }

  /** Power-on state: nothing pending, every line masked. */
  reset(): void {
    this.pending.fill(0);
    this.masked.fill(1);
    this.live = 0;
  }

  raise(line: number): void {
    this.check(line);
    if (this.pending[line] === 1) return;
    this.pending[line] = 1;
    if (this.masked[line] === 0) this.live++;
  }

  /** The timer fires: its line becomes pending. */
  timerFire(): void {
    this.raise(this.timerLine);
  }

  mask(line: number): void {
    this.check(line);
    if (this.masked[line] === 1) return;
    this.masked[line] = 1;
    if (this.pending[line] === 1) this.live--;
  }

  unmask(line: number): void {
    this.check(line);
    if (this.masked[line] === 0) return;
    this.masked[line] = 0;
    if (this.pending[line] === 1) this.live++;
  }

  /** Clears the pending bit (end of interrupt). */
  ack(line: number): void {
    this.check(line);
    if (this.pending[line] === 0) return;
    this.pending[line] = 0;
    if (this.masked[line] === 0) this.live--;
  }

  isPending(line: number): boolean {
    this.check(line);
    return this.pending[line] === 1;
  }

  isMasked(line: number): boolean {
    this.check(line);
    return this.masked[line] === 1;
  }

  /** The lowest-numbered pending unmasked line, or NO_IRQ. */
  activeIrq(): number {
    if (this.live === 0) return NO_IRQ;
    for (let i = 0; i < this.lines; i++) if (this.pending[i] === 1 && this.masked[i] === 0) return i;
    return NO_IRQ;
  }

  private check(line: number): void {
    if (!Number.isInteger(line) || line < 0 || line >= this.lines) {
      throw new MachineException('bad-irq', line, `interrupt line ${line} is outside [0, ${this.lines})`);
    }
  }
}
