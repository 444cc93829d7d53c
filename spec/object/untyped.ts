// Untyped memory: Untyped_Retype and the reset of an untyped whose children are all gone
// (seL4 src/object/untyped.c; l4v spec/abstract/Decode_A.thy decode_untyped_invocation,
// Retype_A.thy reset_untyped_cap, invoke_untyped).
//
// The free index is kept in bytes (seL4 keeps 16-byte units; the values agree). Memory is a bump
// allocator: objects go at the free index aligned up to their size, the alignment gap is lost,
// and the region is only reused from its start once every child cap has been deleted.

import { LABEL } from '../../abi/invocations';
import { OBJECT_TYPES, type ObjectTypeName, SIZE_BITS, objectSizeBits } from '../../abi/objecttype';
import type { CapOf, Decoded, InvocationArgs, PPtr } from '../api/types';
import { err, ok } from '../api/failures';
import { type KernelState, assert, cnodeSlot, liveCTEOrUndefined, markCTE, markObject } from '../model/state';
import { ensureEmptySlot, ensureNoChildren } from './cnode';
import { createNewObjects } from './objecttype';
import { lookupTargetSlot } from '../kernel/cspace';

/** seL4 CONFIG_RETYPE_FAN_OUT_LIMIT: the most objects one Retype may create. */
export const RETYPE_FAN_OUT_LIMIT = 256;
const WORD_BITS = 32;

/** l4v Invocation.lhs Retype. */
export interface UntypedInvocation {
  tag: 'Retype';
  /** The untyped cap's slot. */
  slot: PPtr;
  /** The untyped has no children: reset it (free index 0) before allocating. */
  reset: boolean;
  regionBase: PPtr;
  /** Where the first object goes: the free pointer aligned up to the object size. */
  retypeBase: PPtr;
  newType: ObjectTypeName;
  userSizeBits: number;
  destSlots: PPtr[];
  isDevice: boolean;
}

const isFrameType = (t: ObjectTypeName): boolean =>
  t === 'SmallPage' || t === 'LargePage' || t === 'Section' || t === 'SuperSection';

/**
 * seL4 decodeUntypedInvocation: Retype(type, size_bits, node_index, node_depth, node_offset,
 * num_objects; root), the fifteen checks in seL4's order (sel4-facts §7).
 */
export function decodeUntypedInvocation(
  s: KernelState, args: InvocationArgs, cap: CapOf<'UntypedCap'>, slot: PPtr, _thread: PPtr,
): Decoded<UntypedInvocation> {
  if (args.label !== LABEL.UntypedRetype) return err({ tag: 'IllegalOperation' });
  if (args.words.length < 6 || args.extraCaps.length < 1) return err({ tag: 'TruncatedMessage' });
  const [typeWord, userSizeBits, nodeIndex, nodeDepth, nodeOffset, nodeWindow] = args.words.slice(0, 6).map((w) => w >>> 0);
  const rootCap = args.extraCaps[0].cap;

  if (typeWord >= OBJECT_TYPES.length) return err({ tag: 'InvalidArgument', argument: 0 });
  const newType = OBJECT_TYPES[typeWord];
  // userSizeBits is checked first so that the object size cannot overflow (seL4's comment).
  const objSize = userSizeBits < WORD_BITS ? objectSizeBits(newType, userSizeBits) : 0;
  if (userSizeBits >= WORD_BITS || objSize > SIZE_BITS.MaxUntyped) {
    return err({ tag: 'RangeError', min: 0, max: SIZE_BITS.MaxUntyped });
  }
  if (newType === 'CNode' && userSizeBits === 0) return err({ tag: 'InvalidArgument', argument: 1 });
  if (newType === 'Untyped' && userSizeBits < SIZE_BITS.MinUntyped) return err({ tag: 'InvalidArgument', argument: 1 });

  // node_depth 0 names the root CNode cap itself.
  let nodeCap = rootCap;
  if (nodeDepth !== 0) {
    const r = lookupTargetSlot(s, rootCap, nodeIndex, nodeDepth);
    if (!r.ok) return r;
    nodeCap = liveCTEOrUndefined(s, r.value)?.cap ?? { tag: 'NullCap' };
  }
  if (nodeCap.tag !== 'CNodeCap') {
    return err({ tag: 'FailedLookup', source: false, failure: { tag: 'MissingCapability', bitsLeft: nodeDepth } });
  }

  const nodeSize = 2 ** nodeCap.radix;
  if (nodeOffset > nodeSize - 1) return err({ tag: 'RangeError', min: 0, max: nodeSize - 1 });
  if (nodeWindow < 1 || nodeWindow > RETYPE_FAN_OUT_LIMIT) return err({ tag: 'RangeError', min: 1, max: RETYPE_FAN_OUT_LIMIT });
  if (nodeWindow > nodeSize - nodeOffset) return err({ tag: 'RangeError', min: 1, max: nodeSize - nodeOffset });

  const destSlots: PPtr[] = [];
  for (let i = nodeOffset; i < nodeOffset + nodeWindow; i++) {
    const dest = cnodeSlot(nodeCap.ptr, i);
    const empty = ensureEmptySlot(s, dest);
    if (!empty.ok) return empty;
    destSlots.push(dest);
  }

  // Without children the whole untyped is free again, whatever its free index says.
  const reset = ensureNoChildren(s, slot);
  const freeIndex = reset ? 0 : cap.freeIndex;
  const freeBytes = 2 ** cap.sizeBits - freeIndex;
  if (Math.floor(freeBytes / 2 ** objSize) < nodeWindow) return err({ tag: 'NotEnoughMemory', available: freeBytes });
  if (cap.isDevice && !isFrameType(newType) && newType !== 'Untyped') return err({ tag: 'InvalidArgument', argument: 1 });

  const retypeBase = alignUp(cap.ptr + freeIndex, objSize);
  return ok({ tag: 'Retype', slot, reset, regionBase: cap.ptr, retypeBase, newType, userSizeBits, destSlots, isDevice: cap.isDevice });
}

function alignUp(p: number, bits: number): number {
  const a = 2 ** bits;
  return Math.ceil(p / a) * a;
}

/**
 * seL4 invokeUntyped_Retype: reset if asked, advance the free index past the new objects, then
 * create the objects and insert their caps as children of the untyped (H-CAP's createNewObjects).
 */
export function invokeUntyped(s: KernelState, inv: UntypedInvocation, _thread: PPtr): void {
  if (inv.reset) resetUntypedCap(s, inv.slot);
  const cte = liveCTEOrUndefined(s, inv.slot);
  assert(cte !== undefined && cte.cap.tag === 'UntypedCap', 'Retype: untyped cap vanished');
  const total = inv.destSlots.length * 2 ** objectSizeBits(inv.newType, inv.userSizeBits);
  cte.cap = { ...cte.cap, freeIndex: inv.retypeBase + total - inv.regionBase };
  createNewObjects(s, inv.newType, inv.slot, inv.destSlots, inv.retypeBase, inv.userSizeBits, inv.isDevice);
}

/**
 * seL4 resetUntypedCap (l4v reset_untyped_cap): an untyped without children that has been used
 * is cleared: every object in its region is gone (l4v delete_objects; the memory is zeroed, so
 * frame contents go with their frames) and the free index returns to 0. The model does the
 * chunked, preemptible clearing of seL4 in one step (docs/deviations/vspace.md).
 */
export function resetUntypedCap(s: KernelState, slot: PPtr): void {
  const cte = liveCTEOrUndefined(s, slot);
  assert(cte !== undefined && cte.cap.tag === 'UntypedCap', 'reset: not an untyped cap');
  if (cte.cap.freeIndex === 0) return;
  deleteObjectsInRegion(s, cte.cap.ptr, cte.cap.sizeBits);
  cte.cap = { ...cte.cap, freeIndex: 0 };
}

/**
 * l4v delete_objects (detype): forget every object whose memory lies in [base, base + 2^bits).
 * No cap may point there any more (the region's untyped has no children), so the slots of
 * CNodes and TCBs there are all empty; a non-empty one is a broken invariant.
 */
export function deleteObjectsInRegion(s: KernelState, base: PPtr, bits: number): void {
  const end = base + 2 ** bits;
  for (const key of Object.keys(s.objects)) {
    const p = Number(key);
    if (p >= base && p < end) {
      markObject(s, p);
      delete s.objects[p];
    }
  }
  for (const key of Object.keys(s.ctes)) {
    const p = Number(key);
    if (p >= base && p < end) {
      assert(liveCTEOrUndefined(s, p)!.cap.tag === 'NullCap', `reset: slot 0x${p.toString(16)} in a freed region still holds a cap`);
      markCTE(s, p);
      delete s.ctes[p];
    }
  }
}
