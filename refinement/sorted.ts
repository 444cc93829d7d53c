// Address lookups over sorted object bases (which object contains an address).

/** The index of the last element of the ascending array `sorted` that is <= x, or -1. */
export function floorIndex(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi;
}
