// Mutants of the packing area (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

const CAP = 'impl/object/cap.ts';

export const PACKING_MUTANTS: readonly Mutant[] = [
  {
    name: 'pack-ep-grant-bit',
    class: 'impl',
    area: 'packing',
    doc: 'makeEndpointCap packs capCanGrant from the GrantReply bit of the rights word.',
    patches: [{ file: CAP, find: 'EP_GRANT, bit(rights, RIGHT_GRANT),', replace: 'EP_GRANT, bit(rights, RIGHT_GRANT_REPLY),' }],
  },
  {
    name: 'pack-zombie-count-narrow',
    class: 'impl',
    area: 'packing',
    doc: 'The count in capZombieID is one bit too narrow (radix bits, not radix + 1), so a Zombie over all 2^radix slots of a CNode packs a count of 0.',
    patches: [{ file: CAP, find: 'const zombieCountMask = (radix: number): number => 2 ** (radix + 1) - 1;', replace: 'const zombieCountMask = (radix: number): number => 2 ** radix - 1;' }],
  },
  {
    name: 'pack-cnode-data-guard-shift',
    class: 'impl',
    area: 'packing',
    doc: 'The concrete seL4_CNode_CapData layout puts the guard at bit 9 instead of bit 8.',
    patches: [{ file: 'impl/object/objecttype.ts', find: "{ name: 'guard', low: 8, width: 18 },", replace: "{ name: 'guard', low: 9, width: 18 }," }],
  },
  {
    name: 'pack-reply-grant-lost',
    class: 'impl',
    area: 'packing',
    doc: 'makeReplyCap never sets the capReplyCanGrant bit, so every reply cap lacks Grant.',
    patches: [{ file: CAP, find: 'RP_MASTER, master ? 1 : 0, RP_GRANT, canGrant ? 1 : 0)', replace: 'RP_MASTER, master ? 1 : 0, RP_GRANT, 0)' }],
  },
  {
    name: 'pack-mdb-bits-swapped',
    class: 'impl',
    area: 'packing',
    doc: 'mdbNextWord packs the revocable value into the firstBadged bit and the firstBadged value into the revocable bit.',
    patches: [{ file: CAP, find: 'sFB(sRev(sNext(0, next), revocable ? 1 : 0), firstBadged ? 1 : 0)', replace: 'sFB(sRev(sNext(0, next), firstBadged ? 1 : 0), revocable ? 1 : 0)' }],
  },
];
