// System call numbers of seL4's classic (non-MCS) API, as libsel4 generates them from syscall.xml.

export const SYSCALLS = {
  Call: -1,
  ReplyRecv: -2,
  Send: -3,
  NBSend: -4,
  Recv: -5,
  Reply: -6,
  Yield: -7,
  NBRecv: -8,
} as const;

export type SyscallName = keyof typeof SYSCALLS;

export const SYSCALL_NAMES = Object.keys(SYSCALLS) as SyscallName[];

/** The register value (u32) of a syscall number. */
export function syscallWord(n: number): number {
  return n >>> 0;
}

const BY_WORD = new Map<number, SyscallName>(SYSCALL_NAMES.map((n) => [syscallWord(SYSCALLS[n]), n]));

/** The syscall a register value selects, or undefined for an unknown syscall (a fault). */
export function syscallOfWord(w: number): SyscallName | undefined {
  return BY_WORD.get(w >>> 0);
}
