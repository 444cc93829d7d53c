// seL4_IPCBuffer word offsets (libsel4 shared_types.h), 128 words = 512 bytes on 32-bit.

export const IPC_BUFFER = {
  tag: 0,
  /** msg[i] is at word 1 + i. */
  msg: 1,
  userData: 121,
  capsOrBadges: 122,
  receiveCNode: 125,
  receiveIndex: 126,
  receiveDepth: 127,
  words: 128,
} as const;

/** Byte offset, inside the buffer, of message register i (i >= 4 lives in the buffer). */
export function msgOffset(i: number): number {
  return (IPC_BUFFER.msg + i) * 4;
}
