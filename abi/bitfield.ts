// Packed word layouts declared as data (as seL4's .bf files do): a field has a name, its least
// significant bit and its width. Accessors are derived from the table, never hand-written.

export interface Field<N extends string = string> {
  name: N;
  lsb: number;
  width: number;
}

export function fieldMask(f: Field): number {
  return f.width >= 32 ? 0xffffffff : ((1 << f.width) - 1) >>> 0;
}

export function getField(f: Field, word: number): number {
  return ((word >>> f.lsb) & fieldMask(f)) >>> 0;
}

/** Sets a field; values wider than the field are truncated, as a C bitfield setter would. */
export function setField(f: Field, word: number, value: number): number {
  const m = fieldMask(f);
  return ((word & ~(m << f.lsb)) | ((value & m) << f.lsb)) >>> 0;
}

export function packFields<N extends string>(layout: readonly Field<N>[], values: Record<N, number>): number {
  let w = 0;
  for (const f of layout) w = setField(f, w, values[f.name]);
  return w;
}

export function unpackFields<N extends string>(layout: readonly Field<N>[], word: number): Record<N, number> {
  const out = {} as Record<N, number>;
  for (const f of layout) out[f.name] = getField(f, word);
  return out;
}
