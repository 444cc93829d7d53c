// Matching of `expect` blocks against observations (trace-format.md): a subset match where
// objects match by key, arrays whole, "0x" strings equal numbers, null means "absent", and an
// object with index keys checks only those indexes of an array.

export interface Mismatch {
  path: string;
  expected: unknown;
  observed: unknown;
}

const isHex = (v: unknown): v is string => typeof v === 'string' && /^0x[0-9a-fA-F]{1,8}$/.test(v);

function sameScalar(e: unknown, o: unknown): boolean {
  if (isHex(e) && typeof o === 'number') return parseInt(e.slice(2), 16) === o;
  return e === o;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function matchExpected(expected: unknown, observed: unknown, path: string): Mismatch | null {
  if (expected === null) return observed === undefined ? null : { path, expected: 'absent', observed };
  if (observed === undefined) return { path, expected, observed: 'absent' };
  if (Array.isArray(expected)) {
    if (!Array.isArray(observed) || observed.length !== expected.length) return { path, expected, observed };
    for (let i = 0; i < expected.length; i++) {
      const m = matchExpected(expected[i], observed[i], `${path}[${i}]`);
      if (m) return { path, expected, observed };
    }
    return null;
  }
  if (isObject(expected)) {
    if (Array.isArray(observed)) {
      for (const [k, v] of Object.entries(expected)) {
        if (!/^\d+$/.test(k)) return { path, expected, observed };
        const m = matchExpected(v, observed[Number(k)], `${path}[${k}]`);
        if (m) return m;
      }
      return null;
    }
    if (!isObject(observed)) return { path, expected, observed };
    for (const [k, v] of Object.entries(expected)) {
      const m = matchExpected(v, observed[k], path ? `${path}.${k}` : k);
      if (m) return m;
    }
    return null;
  }
  return sameScalar(expected, observed) ? null : { path, expected, observed };
}
