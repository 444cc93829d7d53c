// Mutants of the untyped area (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

const SPEC_UT = 'spec/object/untyped.ts';
const IMPL_UT = 'impl/object/untyped.ts';

export const UNTYPED_MUTANTS: readonly Mutant[] = [
  {
    name: 'retype-unaligned',
    class: 'both',
    area: 'untyped',
    doc: 'Retype places the first object at the free pointer without aligning it up to the object size.',
    patches: [
      { file: SPEC_UT, find: 'const retypeBase = alignUp(cap.ptr + freeIndex, objSize);', replace: 'const retypeBase = cap.ptr + freeIndex;' },
      { file: IMPL_UT, find: 'const retypeBase = alignUp(regionBase + freeBytes, objSize);', replace: 'const retypeBase = regionBase + freeBytes;' },
    ],
  },
  {
    name: 'watermark-one-object',
    class: 'both',
    area: 'untyped',
    doc: 'Retype advances the watermark past the first new object only, not past all numObjects of them.',
    patches: [
      { file: SPEC_UT, find: 'const total = inv.destSlots.length * 2 ** objectSizeBits(inv.newType, inv.userSizeBits);', replace: 'const total = 2 ** objectSizeBits(inv.newType, inv.userSizeBits);' },
      { file: IMPL_UT, find: 'const total = inv.destSlots.length * 2 ** objectSizeBits(inv.newType, inv.userSizeBits);', replace: 'const total = 2 ** objectSizeBits(inv.newType, inv.userSizeBits);' },
    ],
  },
  {
    name: 'retype-reset-only-unused',
    class: 'both',
    area: 'untyped',
    doc: 'Retype resets an untyped only when its free index is already 0, so memory whose objects were all revoked is never reused (NotEnoughMemory).',
    patches: [
      { file: SPEC_UT, find: 'const reset = ensureNoChildren(s, slot);', replace: 'const reset = ensureNoChildren(s, slot) && cap.freeIndex === 0;' },
      { file: IMPL_UT, find: 'const reset = ensureNoChildren(k, slot);', replace: 'const reset = ensureNoChildren(k, slot) && capFreeIndex(cap) === 0;' },
    ],
  },
  {
    name: 'copy-untyped-with-children',
    class: 'both',
    area: 'untyped',
    doc: 'deriveCap lets an untyped cap with children be copied instead of returning RevokeFirst.',
    patches: [
      { file: 'spec/object/objecttype.ts', find: "return ensureNoChildren(s, slot) ? ok(cap) : err({ tag: 'RevokeFirst' });", replace: 'return ok(cap);' },
      { file: 'impl/object/objecttype.ts', find: "return ensureNoChildren(k, slot) ? ok(cap) : err({ tag: 'RevokeFirst' });", replace: 'return ok(cap);' },
    ],
  },
  {
    name: 'spec-retype-last-slot-rejected',
    class: 'spec',
    area: 'untyped',
    doc: 'The abstract Retype rejects a node offset naming the last slot of the destination CNode (>= instead of >).',
    patches: [{ file: SPEC_UT, find: 'if (nodeOffset > nodeSize - 1) return', replace: 'if (nodeOffset >= nodeSize - 1) return' }],
  },
  {
    name: 'spec-copy-untyped-not-full',
    class: 'spec',
    area: 'untyped',
    doc: 'The abstract cteInsert does not mark a copied whole untyped as full (setUntypedCapAsFull forgotten), so both copies can retype.',
    patches: [{ file: 'spec/object/cnode.ts', find: 'cte.cap = { ...srcCap, freeIndex: 2 ** srcCap.sizeBits };', replace: 'cte.cap = { ...srcCap };' }],
  },
  {
    name: 'impl-not-enough-memory-size',
    class: 'impl',
    area: 'untyped',
    doc: 'The concrete Retype reports NotEnoughMemory with the size of the whole region instead of the bytes still free.',
    patches: [{ file: IMPL_UT, find: 'return notEnoughMemory(available);', replace: 'return notEnoughMemory(2 ** blockSize);' }],
  },
  {
    name: 'impl-set-full-half',
    class: 'impl',
    area: 'untyped',
    doc: 'The concrete setUntypedCapAsFull converts the region size to free-index units with a shift one too many, marking a copied untyped only half used.',
    patches: [{ file: 'impl/object/cnode.ts', find: 'capSetFreeIndex(srcCap, 2 ** (capBlockSize(srcCap) - 4))', replace: 'capSetFreeIndex(srcCap, 2 ** (capBlockSize(srcCap) - 5))' }],
  },
  {
    name: 'impl-node-offset-range',
    class: 'impl',
    area: 'untyped',
    doc: 'The concrete Retype reports RangeError with max = the CNode size instead of size - 1 for a node offset past the CNode.',
    patches: [{ file: IMPL_UT, find: 'if (nodeOffset > nodeSize - 1) return rangeError(0, nodeSize - 1);', replace: 'if (nodeOffset > nodeSize - 1) return rangeError(0, nodeSize);' }],
  },
];
