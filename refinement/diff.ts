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
    for (let i = 0; i < spec.length; i++) diff(spec[i], impl[i], `${path}[${i}]`, out, limit, parentKey);
    return;
  }
  const a = spec as Record<string, unknown>;
  const b = impl as Record<string, unknown>;
  for (const k of Object.keys(a)) diff(a[k], b[k], childPath(path, k, parentKey), out, limit, k);
  for (const k of Object.keys(b)) if (!(k in a)) diff(undefined, b[k], childPath(path, k, parentKey), out, limit, k);
}

export function diffs(spec: unknown, impl: unknown, path = '', limit = 20): Diff[] {
  const out: Diff[] = [];
  diff(spec, impl, path, out, limit, path);
  return out;
}
