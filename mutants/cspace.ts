// Mutants of the cspace area (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

const SPEC_CNODE = 'spec/object/cnode.ts';
const IMPL_CNODE = 'impl/object/cnode.ts';
const SPEC_OT = 'spec/object/objecttype.ts';
const IMPL_OT = 'impl/object/objecttype.ts';

export const CSPACE_MUTANTS: readonly Mutant[] = [
  {
    name: 'mint-rebadges-badged',
    class: 'both',
    area: 'cspace',
    doc: 'Mint of an already badged endpoint or notification cap gives it the new badge instead of failing (updateCapData ignores the existing badge).',
    patches: [
      { file: SPEC_OT, find: 'if (preserve || cap.badge !== 0) return NULL_CAP;', replace: 'if (preserve) return NULL_CAP;' },
      { file: IMPL_OT, find: 'if (preserve || capEPBadge(cap) !== 0) return NULL_CAP;', replace: 'if (preserve) return NULL_CAP;' },
      { file: IMPL_OT, find: 'if (preserve || capNtfnBadge(cap) !== 0) return NULL_CAP;', replace: 'if (preserve) return NULL_CAP;' },
    ],
  },
  {
    name: 'mask-keeps-grant',
    class: 'both',
    area: 'cspace',
    doc: 'maskCapRights never removes Grant from an endpoint cap, so Copy/Mint with a rights mask without Grant still give a granting cap.',
    patches: [
      { file: SPEC_OT, find: 'grant: cap.rights.grant && rights.grant,', replace: 'grant: cap.rights.grant,' },
      { file: IMPL_OT, find: 'capEPBadge(cap), capEPRights(cap) & rights)', replace: 'capEPBadge(cap), capEPRights(cap) & (rights | RIGHT_GRANT))' },
    ],
  },
  {
    name: 'mutate-can-badge',
    class: 'both',
    area: 'cspace',
    doc: 'CNode_Mutate applies its data word as Mint does (preserve = false), so Mutate badges an unbadged endpoint cap instead of failing.',
    patches: [
      { file: SPEC_CNODE, find: 'newCap = updateCapData(true, w[4], srcCap);', replace: 'newCap = updateCapData(false, w[4], srcCap);' },
      { file: IMPL_CNODE, find: 'newCap = updateCapData(true, w[4]!, srcCap);', replace: 'newCap = updateCapData(false, w[4]!, srcCap);' },
    ],
  },
  {
    name: 'badged-copy-not-revocable',
    class: 'both',
    area: 'cspace',
    doc: 'isCapRevocable says a freshly badged endpoint cap is not revocable, so a badged cap never starts a subtree of its own.',
    patches: [
      { file: SPEC_OT, find: "return srcCap.tag === 'EndpointCap' && newCap.badge !== srcCap.badge;", replace: 'return false;' },
      { file: IMPL_OT, find: 'return capType(srcCap) === CAP_TAG.endpoint && capEPBadge(newCap) !== capEPBadge(srcCap);', replace: 'return false;' },
    ],
  },
  {
    name: 'empty-slot-drops-first-badged',
    class: 'both',
    area: 'cspace',
    doc: 'emptySlot unlinks a slot without passing its firstBadged bit on to the next entry, so a badged subtree loses its first marker.',
    patches: [
      { file: SPEC_CNODE, find: '  if (node.next !== 0 && node.firstBadged) liveCTE(s, node.next).mdb.firstBadged = true;\n', replace: '' },
      { file: IMPL_CNODE, find: '    if (mdbFirstBadgedOf(w3)) k.m.store32(next + CTE_NEXT, withMdbFirstBadged(k.m.load32(next + CTE_NEXT), true));\n', replace: '' },
    ],
  },
  {
    name: 'final-ignores-next',
    class: 'both',
    area: 'cspace',
    doc: 'isFinalCapability does not look at the next MDB entry for endpoint caps, so deleting the first of two caps to an endpoint counts as deleting the last one (its queued threads are restarted while a cap to it is left).',
    patches: [
      { file: SPEC_CNODE, find: '  return next === 0 || !sameObjectAs(cte.cap, readCTE(s, next).cap);', replace: "  return next === 0 || cte.cap.tag === 'EndpointCap' || !sameObjectAs(cte.cap, readCTE(s, next).cap);" },
      { file: IMPL_CNODE, find: '  return next === 0 || !sameObjectAs(cap, readCap(k, next));', replace: '  return next === 0 || capType(cap) === CAP_TAG.endpoint || !sameObjectAs(cap, readCap(k, next));' },
    ],
  },
  {
    name: 'revoke-one-child',
    class: 'both',
    area: 'cspace',
    doc: 'cteRevoke returns after deleting the first child instead of looping until no descendant is left.',
    patches: [
      { file: SPEC_CNODE, find: '    if (!isMDBParentOf(s, slot, next)) return;\n    cteDelete(s, next, true);\n', replace: '    if (!isMDBParentOf(s, slot, next)) return;\n    cteDelete(s, next, true);\n    return;\n' },
      { file: IMPL_CNODE, find: '    if (next === 0 || !isMDBParentOf(k, slot, next)) return;\n    cteDelete(k, next, true);\n', replace: '    if (next === 0 || !isMDBParentOf(k, slot, next)) return;\n    cteDelete(k, next, true);\n    return;\n' },
    ],
  },
  {
    name: 'move-drops-original',
    class: 'both',
    area: 'cspace',
    doc: 'cteMove gives the moved cap a non-revocable MDB node, so moving an original cap makes it a mere copy that can no longer revoke its children.',
    patches: [
      { file: SPEC_CNODE, find: 'const mdb = { ...liveCTE(s, srcSlot).mdb };', replace: 'const mdb = { ...liveCTE(s, srcSlot).mdb, revocable: false };' },
      { file: IMPL_CNODE, find: '  const revocable = mdbRevocable(k, srcSlot);\n  const firstBadged = mdbFirstBadged(k, srcSlot);\n  writeCap(k, destSlot, newCap);', replace: '  const revocable = false;\n  const firstBadged = mdbFirstBadged(k, srcSlot);\n  writeCap(k, destSlot, newCap);' },
    ],
  },
  {
    name: 'guard-ignored',
    class: 'both',
    area: 'cspace',
    doc: 'resolveAddressBits checks only that the guard fits in the bits left, never that the address bits equal the guard.',
    patches: [
      { file: 'spec/kernel/cspace.ts', find: 'if (guardSize > n || guard !== cap.guard) {', replace: 'if (guardSize > n) {' },
      { file: 'impl/kernel/cspace.ts', find: 'if (guardSize > n || guard !== capGuard) {', replace: 'if (guardSize > n) {' },
    ],
  },
  {
    name: 'cancel-badged-any-rights',
    class: 'both',
    area: 'cspace',
    doc: 'CNode_CancelBadgedSends accepts any endpoint cap, not only one with all rights (hasCancelSendRights checks the type only).',
    patches: [
      { file: SPEC_OT, find: "return cap.tag === 'EndpointCap' && cap.rights.write && cap.rights.read && cap.rights.grant && cap.rights.grantReply;", replace: "return cap.tag === 'EndpointCap';" },
      { file: IMPL_OT, find: 'return capType(cap) === CAP_TAG.endpoint && capEPRights(cap) === (RIGHT_WRITE | RIGHT_READ | RIGHT_GRANT | RIGHT_GRANT_REPLY);', replace: 'return capType(cap) === CAP_TAG.endpoint;' },
    ],
  },
  {
    name: 'rotate-data-swapped',
    class: 'both',
    area: 'cspace',
    doc: 'CNode_Rotate applies the destination data word to the cap landing in the pivot and the pivot data word to the one landing in the destination.',
    patches: [
      { file: SPEC_CNODE, find: 'const newSrcCap = updateCapData(true, srcNewData, readCTE(s, srcSlot).cap);\n  const newPivotCap = updateCapData(true, pivotNewData, readCTE(s, pivotSlot).cap);', replace: 'const newSrcCap = updateCapData(true, pivotNewData, readCTE(s, srcSlot).cap);\n  const newPivotCap = updateCapData(true, srcNewData, readCTE(s, pivotSlot).cap);' },
      { file: IMPL_CNODE, find: 'const newSrcCap = updateCapData(true, srcNewData, readCap(k, srcSlot));\n  const newPivotCap = updateCapData(true, pivotNewData, readCap(k, pivotSlot));', replace: 'const newSrcCap = updateCapData(true, pivotNewData, readCap(k, srcSlot));\n  const newPivotCap = updateCapData(true, srcNewData, readCap(k, pivotSlot));' },
    ],
  },
  {
    name: 'spec-parent-ignores-first-badged',
    class: 'spec',
    area: 'cspace',
    doc: 'The abstract isMDBParentOf forgets the firstBadged test, so a badged cap owns the next badged subtree of the same badge.',
    patches: [{ file: SPEC_CNODE, find: 'return cb.cap.tag === ca.cap.tag && cb.cap.badge === badge && !cb.mdb.firstBadged;', replace: 'return cb.cap.tag === ca.cap.tag && cb.cap.badge === badge;' }],
  },
  {
    name: 'spec-depth-mismatch-bits',
    class: 'spec',
    area: 'cspace',
    doc: 'The abstract lookupSlotForCNodeOp reports the requested depth instead of the bits left when a lookup stops early at a non-CNode slot.',
    patches: [{ file: 'spec/kernel/cspace.ts', find: "failure: { tag: 'DepthMismatch', bitsLeft: r.value.bitsRemaining, bitsFound: 0 },", replace: "failure: { tag: 'DepthMismatch', bitsLeft: d, bitsFound: 0 }," }],
  },
  {
    name: 'impl-insert-not-first-badged',
    class: 'impl',
    area: 'cspace',
    doc: 'The concrete cteInsert sets the new node\'s revocable bit but leaves firstBadged clear.',
    patches: [{ file: IMPL_CNODE, find: 'mdbNextWord(next, revocable, revocable)', replace: 'mdbNextWord(next, revocable, false)' }],
  },
  {
    name: 'impl-ntfn-parent-ep-badge',
    class: 'impl',
    area: 'cspace',
    doc: 'The concrete isMDBParentOf reads a notification child\'s badge with the endpoint-cap accessor (the wrong word), so badged notification copies are never children.',
    patches: [{ file: IMPL_CNODE, find: 'return badge === capNtfnBadge(capB) && !mdbFirstBadged(k, b);', replace: 'return badge === capEPBadge(capB) && !mdbFirstBadged(k, b);' }],
  },
];
