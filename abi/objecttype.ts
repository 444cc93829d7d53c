// seL4_ObjectType on aarch32 without MCS (libsel4 objecttype.h + arm arch headers), and the
// fixed object sizes of the 32-bit ARM configuration.

export const OBJECT_TYPES = [
  'Untyped',
  'TCB',
  'Endpoint',
  'Notification',
  'CNode',
  'PageDirectory',
  'SmallPage',
  'LargePage',
  'Section',
  'SuperSection',
  'PageTable',
] as const;

export type ObjectTypeName = (typeof OBJECT_TYPES)[number];
export const OBJECT_TYPE_COUNT = OBJECT_TYPES.length;

export function objectTypeNumber(t: ObjectTypeName): number {
  return OBJECT_TYPES.indexOf(t);
}

export const SIZE_BITS = {
  TCB: 9,
  Endpoint: 4,
  Notification: 4,
  /** One CTE: two cap words and two MDB words. */
  Slot: 4,
  PageDirectory: 14,
  PageTable: 10,
  ASIDPool: 12,
  SmallPage: 12,
  LargePage: 16,
  Section: 20,
  SuperSection: 24,
  MinUntyped: 4,
  MaxUntyped: 29,
  IPCBuffer: 9,
} as const;

export type FrameSize = 'SmallPage' | 'LargePage' | 'Section' | 'SuperSection';
export const FRAME_SIZES: readonly FrameSize[] = ['SmallPage', 'LargePage', 'Section', 'SuperSection'];

/** seL4 getObjectSize: the size in bits of an object of type t made with the user's size_bits. */
export function objectSizeBits(t: ObjectTypeName, userSizeBits: number): number {
  switch (t) {
    case 'Untyped':
      return userSizeBits;
    case 'CNode':
      return SIZE_BITS.Slot + userSizeBits;
    default:
      return SIZE_BITS[t];
  }
}

/** seL4_VMAttributes are ignored by the model beyond being passed through. */
export const USER_TOP = 0xe0000000;
/** Number of ASID pools (seL4_NumASIDPoolsBits = 7) and entries per pool (2^10). */
export const ASID_POOL_BITS = 7;
export const ASID_LOW_BITS = 10;
