// Untyped memory of the concrete kernel (seL4 src/object/untyped.c): Untyped_Retype and the reset
// of an untyped whose children are all gone. The free index is kept as seL4 keeps it, in 16-byte
// units (capFreeIndex); objects go at the free pointer aligned up to their size.

import { LABEL } from '../../abi/invocations';
import { OBJECT_TYPES, type ObjectTypeName, SIZE_BITS, objectSizeBits } from '../../abi/objecttype';
import { type Decoded, failedLookup, illegalOperation, invalidArgument, notEnoughMemory, ok, rangeError, truncatedMessage } from '../api/failures';
import type { InvocationArgs } from '../api/types';
import type { Kernel } from '../model/state';
import {
  type Cap, CAP_TAG, FREE_INDEX_SHIFT, capBlockSize, capCNodePtr, capCNodeRadix, capFreeIndex, capIsDevice, capSetFreeIndex,
  capType, capUntypedPtr, readCap, writeCap,
} from './cap';
import { ensureEmptySlot, ensureNoChildren } from './cnode';
import { createNewObjects } from './objecttype';
import { CTE_BYTES } from './structures';
import { lookupTargetSlot } from '../kernel/cspace';

/** seL4 CONFIG_RETYPE_FAN_OUT_LIMIT. */
export const RETYPE_FAN_OUT_LIMIT = 256;
/** seL4 CONFIG_RESET_CHUNK_BITS: reset clears the used part in chunks of this size. */
const RESET_CHUNK_BITS = 8;
const WORD_BITS = 32;

export interface UntypedInvocation {
  tag: 'Retype';
  /** The untyped cap's slot. */
  slot: number;
  /** The untyped has no children: reset it before allocating. */
  reset: boolean;
  regionBase: number;
  /** Where the first object goes. */
  retypeBase: number;
  newType: ObjectTypeName;
  userSizeBits: number;
  destSlots: number[];
  isDevice: boolean;
}

const isFrameType = (t: ObjectTypeName): boolean =>
  t === 'SmallPage' || t === 'LargePage' || t === 'Section' || t === 'SuperSection';

function alignUp(p: number, bits: number): number {
  const a = 2 ** bits;
  return Math.ceil(p / a) * a;
}

/** spec: decodeUntypedInvocation — Retype(type, size_bits, node_index, node_depth, node_offset, num_objects; root) */
export function decodeUntypedInvocation(
  k: Kernel, args: InvocationArgs, cap: Cap, slot: number, _thread: number,
): Decoded<UntypedInvocation> {
  if (args.label !== LABEL.UntypedRetype) return illegalOperation();
  const w = args.words;
  if (w.length < 6 || args.extraCaps.length < 1) return truncatedMessage();
  const typeWord = w[0]! >>> 0;
  const userSizeBits = w[1]! >>> 0;
  const nodeIndex = w[2]! >>> 0;
  const nodeDepth = w[3]! >>> 0;
  const nodeOffset = w[4]! >>> 0;
  const nodeWindow = w[5]! >>> 0;
  const rootCap = args.extraCaps[0]!.cap;

  if (typeWord >= OBJECT_TYPES.length) return invalidArgument(0);
  const newType = OBJECT_TYPES[typeWord]!;
  const objSize = userSizeBits < WORD_BITS ? objectSizeBits(newType, userSizeBits) : 0;
  if (userSizeBits >= WORD_BITS || objSize > SIZE_BITS.MaxUntyped) return rangeError(0, SIZE_BITS.MaxUntyped);
  if (newType === 'CNode' && userSizeBits === 0) return invalidArgument(1);
  if (newType === 'Untyped' && userSizeBits < SIZE_BITS.MinUntyped) return invalidArgument(1);

  // node_depth 0 names the root cap itself.
  let nodeCap = rootCap;
  if (nodeDepth !== 0) {
    const r = lookupTargetSlot(k, rootCap, nodeIndex, nodeDepth);
    if (!r.ok) return r;
    nodeCap = readCap(k, r.value);
  }
  if (capType(nodeCap) !== CAP_TAG.cnode) return failedLookup(false, { tag: 'MissingCapability', bitsLeft: nodeDepth });

  const nodeSize = 2 ** capCNodeRadix(nodeCap);
  if (nodeOffset > nodeSize - 1) return rangeError(0, nodeSize - 1);
  if (nodeWindow < 1 || nodeWindow > RETYPE_FAN_OUT_LIMIT) return rangeError(1, RETYPE_FAN_OUT_LIMIT);
  if (nodeWindow > nodeSize - nodeOffset) return rangeError(1, nodeSize - nodeOffset);

  const cnode = capCNodePtr(nodeCap);
  const destSlots: number[] = [];
  for (let i = nodeOffset; i < nodeOffset + nodeWindow; i++) {
    const dest = cnode + i * CTE_BYTES;
    const e = ensureEmptySlot(k, dest);
    if (!e.ok) return e;
    destSlots.push(dest);
  }

  // Without children the whole untyped is free again, whatever its free index says.
  const reset = ensureNoChildren(k, slot);
  const freeBytes = reset ? 0 : capFreeIndex(cap) * 2 ** FREE_INDEX_SHIFT;
  const blockSize = capBlockSize(cap);
  const available = 2 ** blockSize - freeBytes;
  if (Math.floor(available / 2 ** objSize) < nodeWindow) return notEnoughMemory(available);
  const isDevice = capIsDevice(cap);
  if (isDevice && !isFrameType(newType) && newType !== 'Untyped') return invalidArgument(1);

  const regionBase = capUntypedPtr(cap);
  const retypeBase = alignUp(regionBase + freeBytes, objSize);
  return ok({ tag: 'Retype', slot, reset, regionBase, retypeBase, newType, userSizeBits, destSlots, isDevice });
}

/** spec: invokeUntyped — reset if asked, advance the free index past the new objects, create them. */
export function invokeUntyped(k: Kernel, inv: UntypedInvocation, _thread: number): void {
  if (inv.reset) resetUntypedCap(k, inv.slot);
  const cap = readCap(k, inv.slot);
  if (capType(cap) !== CAP_TAG.untyped) throw new Error('kernel bug: Retype: untyped cap vanished');
  const total = inv.destSlots.length * 2 ** objectSizeBits(inv.newType, inv.userSizeBits);
  const used = inv.retypeBase + total - inv.regionBase;
  writeCap(k, inv.slot, capSetFreeIndex(cap, used / 2 ** FREE_INDEX_SHIFT));
  createNewObjects(k, inv.newType, inv.slot, inv.destSlots, inv.retypeBase, inv.userSizeBits, inv.isDevice);
}

/**
 * spec: resetUntypedCap — forget the objects in the region (ghost table, names, delivered records),
 * zero the used memory as seL4 clears it (whole block when small, else the used part rounded up to
 * reset chunks), free index 0. seL4's chunked, preemptible clearing runs in one step.
 */
export function resetUntypedCap(k: Kernel, slot: number): void {
  const cap = readCap(k, slot);
  if (capType(cap) !== CAP_TAG.untyped) throw new Error('kernel bug: reset: not an untyped cap');
  const offset = capFreeIndex(cap) * 2 ** FREE_INDEX_SHIFT;
  if (offset === 0) return;
  const base = capUntypedPtr(cap);
  const bits = capBlockSize(cap);
  deleteObjectsInRegion(k, base, bits);
  if (capIsDevice(cap)) {
    // seL4 does not clear device memory.
  } else if (bits < RESET_CHUNK_BITS) {
    k.m.zero(base, 2 ** bits);
  } else {
    k.m.zero(base, Math.min(alignUp(offset, RESET_CHUNK_BITS), 2 ** bits));
  }
  writeCap(k, slot, capSetFreeIndex(cap, 0));
}

/** Ghost detype: forget every object (and TCB name / delivered record) based in [base, base + 2^bits). */
export function deleteObjectsInRegion(k: Kernel, base: number, bits: number): void {
  const end = base + 2 ** bits;
  for (const p of k.objects.keys()) if (p >= base && p < end) k.objects.delete(p);
  for (const p of k.names.keys()) if (p >= base && p < end) k.names.delete(p);
  for (const p of k.delivered.keys()) if (p >= base && p < end) k.delivered.delete(p);
}
