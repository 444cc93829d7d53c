/**
 * MachineException: what the modeled hardware raises when the *kernel* misuses it — a physical
 * access outside memory or unaligned, a bad translation base, a nested kernel entry, a descriptor
 * field that does not fit. Each is a kernel bug, never a user-visible event: user accesses report
 * faults as values (see mmu.ts) and never throw.
 */

export type MachineExceptionKind =
  | 'out-of-range' // physical access beyond 2^memoryBits
  | 'unaligned' // physical word access not 4-byte aligned, or a misaligned range or table base
  | 'bad-address' // an address that is not an integer in [0, 2^32)
  | 'bad-vspace' // setVSpace with a page directory that is misaligned or not inside memory, or a bad ASID
  | 'bad-mode' // kernelEntry while in kernel mode, kernelExit while in user mode
  | 'bad-irq' // an interrupt line outside [0, irqLines)
  | 'field-range'; // a descriptor field value that does not fit its bits

export class MachineException extends Error {
  override readonly name = 'MachineException';

  constructor(
    readonly kind: MachineExceptionKind,
    /** The offending physical address (for field-range: the offending value; for bad-irq: the line). */
    readonly address: number,
    message?: string,
  ) {
    super(message ?? `${kind} at 0x${hex(address)}`);
  }
}

/** Lowercase 8-digit hex of a u32 (non-integers printed as they are). */
export function hex(n: number): string {
  return Number.isInteger(n) && n >= 0 && n < 2 ** 32 ? n.toString(16).padStart(8, '0') : String(n);
}
