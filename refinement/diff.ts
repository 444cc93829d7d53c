// Structural comparison of plain data (spec states, abstracted impl states, observations) that
// reports the first differences as readable paths: objects[0x00801000].state.tag.

export interface Diff {
  path: string;
  spec: unknown;
  impl: unknown;
}

export const hex = (n: number): string => '0x' + n.toString(16).padStart(8, '0');
/** Records keyed by physical address print their keys in hex. */
const ADDRESS_KEYED = new Set(['objects', 'ctes']);

function childPath(path: string, key: string, parentKey: string): string {
  if (/^\d+$/.test(key)) return `${path}[${ADDRESS_KEYED.has(parentKey) ? hex(Number(key)) : key}]`;
  return path ? `${path}.${key}` : key;
}

const shown = (v: unknown) => (v === undefined ? 'absent' : v);

/**
 * Appends to `out` the differences between `spec` and `impl` under `path`, at most `limit` in
 * all. `parentKey` is the last key of `path` (for address formatting).
 */
export function diff(spec: unknown, impl: unknown, path: string, out: Diff[], limit = 20, parentKey = ''): void {
  if (out.length >= limit || spec === impl) return;
  if (typeof spec !== 'object' || typeof impl !== 'object' || spec === null || impl === null || Array.isArray(spec) !== Array.isArray(impl)) {
    out.push({ path, spec: shown(spec), impl: shown(impl) });
    return;
  }
  if (Array.isArray(spec) && Array.isArray(impl)) {
    if (spec.length !== impl.length) {
      out.push({ path, spec, impl });
      return;
    }
    for (let i = 0; i < spec.length; i++) if (!samePlain(spec[i], impl[i])) diff(spec[i], impl[i], `${path}[${i}]`, out, limit, parentKey);
    return;
  }
  const a = spec as Record<string, unknown>;
  const b = impl as Record<string, unknown>;
  // Paths are built only where the values differ: almost every comparison is of equal data.
  for (const k in a) if (!samePlain(a[k], b[k])) diff(a[k], b[k], childPath(path, k, parentKey), out, limit, k);
  for (const k in b) if (!(k in a) && b[k] !== undefined) diff(undefined, b[k], childPath(path, k, parentKey), out, limit, k);
}

/** What `diff` calls equal (an absent key and an undefined value alike, key order ignored), without building paths. */
function samePlain(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (Array.isArray(x)) {
    if (!Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!samePlain(x[i], y[i])) return false;
    return true;
  }
  if (Array.isArray(y)) return false;
  const a = x as Record<string, unknown>;
  const b = y as Record<string, unknown>;
  for (const k in a) if (!samePlain(a[k], b[k])) return false;
  for (const k in b) if (!(k in a) && b[k] !== undefined) return false;
  return true;
}

export function diffs(spec: unknown, impl: unknown, path = '', limit = 20): Diff[] {
  const out: Diff[] = [];
  diff(spec, impl, path, out, limit, path);
  return out;
}
