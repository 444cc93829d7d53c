// seL4_MessageInfo on 32-bit: one word, declared once as a packed layout.

import { type Field, packFields, unpackFields } from './bitfield';

export interface MessageInfo {
  label: number;
  capsUnwrapped: number;
  extraCaps: number;
  length: number;
}

/** Fields from the least significant bit up (libsel4 shared_types.bf, mode 32). */
export const MESSAGE_INFO_LAYOUT: readonly Field<keyof MessageInfo>[] = [
  { name: 'length', lsb: 0, width: 7 },
  { name: 'extraCaps', lsb: 7, width: 2 },
  { name: 'capsUnwrapped', lsb: 9, width: 3 },
  { name: 'label', lsb: 12, width: 20 },
];

export const MSG_MAX_LENGTH = 120;
export const MSG_MAX_EXTRA_CAPS = 3;
/** Message registers passed in CPU registers (r2..r5). */
export const N_MSG_REGISTERS = 4;

export function wordFromMessageInfo(mi: MessageInfo): number {
  return packFields(MESSAGE_INFO_LAYOUT, mi);
}

/** Raw decoding of the word, without the kernel's clamp of length to 120. */
export function messageInfoFromWord(w: number): MessageInfo {
  return unpackFields(MESSAGE_INFO_LAYOUT, w) as MessageInfo;
}

/** The kernel's decoding (seL4 messageInfoFromWord): a length above 120 reads as 120. */
export function messageInfoFromWordKernel(w: number): MessageInfo {
  const mi = messageInfoFromWord(w);
  if (mi.length > MSG_MAX_LENGTH) mi.length = MSG_MAX_LENGTH;
  return mi;
}
