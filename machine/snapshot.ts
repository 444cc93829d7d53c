/**
 * Saving the small parts of a machine (CPU, TLB, MMU, interrupt controller, counters) as values
 * and writing them back, field by field: what Machine.save/restore use besides the memory's own
 * snapshot. A field of a kind not listed here throws, so that a part that grows a new kind of
 * state cannot be silently left out of a snapshot.
 */

/** One part's fields: primitives, copies of typed arrays, copies of flat records of numbers. */
export type PartSnapshot = ReadonlyMap<string, unknown>;

const isFlatRecord = (v: object): v is Record<string, number | boolean> =>
  Object.getPrototypeOf(v) === Object.prototype && Object.values(v).every((x) => typeof x === 'number' || typeof x === 'boolean');

/** `part`'s own fields; those holding one of `shared` (other parts, the memory) are left out. */
export function savePart(part: object, shared: ReadonlySet<object>): PartSnapshot {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(part)) {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) out.set(k, v);
    else if (shared.has(v)) continue;
    else if (ArrayBuffer.isView(v) && !(v instanceof DataView)) out.set(k, (v as Uint8Array).slice());
    else if (typeof v === 'object' && isFlatRecord(v)) out.set(k, { ...v });
    else throw new TypeError(`savePart: field ${k} of ${part.constructor.name} holds a ${typeof v === 'object' ? v.constructor.name : typeof v}, which a snapshot does not know how to copy`);
  }
  return out;
}

/** Writes `saved` back into `part` (the same part, or the same part of a machine of the same options). */
export function restorePart(part: object, saved: PartSnapshot): void {
  const fields = part as Record<string, unknown>;
  for (const [k, v] of saved) {
    if (ArrayBuffer.isView(v)) (fields[k] as Uint8Array).set(v as Uint8Array);
    else if (v !== null && typeof v === 'object') Object.assign(fields[k] as object, v);
    else fields[k] = v;
  }
}
