/**
 * Packed 32-bit layouts declared as data, the way seL4's `.bf` files declare them: a layout is a
 * list of fields (name, low bit, width), some of which are tags with a fixed value. Encoding,
 * decoding, tag matching and the tables in docs/machine.md are all derived from that one list.
 *
 * A field marked `high` holds an address-like value kept in place (seL4's `field_high`): its value
 * is the word's bits [low, low+width) *unshifted*, e.g. a section base 0x00300000, not 3.
 */

import { MachineException } from './exception';

export interface FieldSpec<N extends string = string> {
  readonly name: N;
  readonly low: number;
  readonly width: number;
  /** Fixed value of a tag field: a word belongs to the layout iff every tag field has its value. */
  readonly tag?: number;
  /** Value kept in place (an address), not shifted down to bit 0. */
  readonly high?: boolean;
  /** One line for the documentation table. */
  readonly doc?: string;
  /** The field's bits as a u32 mask; filled in by defineLayout (accessors compute it otherwise). */
  readonly mask?: number;
}

export interface Layout<N extends string = string> {
  readonly name: string;
  readonly doc: string;
  readonly fields: readonly FieldSpec<N>[];
  /** Bits covered by some field. */
  readonly definedMask: number;
  /** Bits covered by tag fields, and the value they must have. */
  readonly tagMask: number;
  readonly tagValue: number;
}

export type FieldValues<N extends string> = Record<N, number>;

/** Mask of `width` ones starting at bit `low`, as a u32. */
export function fieldMask(low: number, width: number): number {
  return (width >= 32 ? 0xffffffff : ((1 << width) - 1) << low) >>> 0;
}

/**
 * Checks a field list (inside 32 bits, no overlap, tags fit) and computes the masks. The layout holds
 * normalised copies of the fields, all of one shape and with `mask` set, so that getField / setField
 * on them are monomorphic and compute nothing.
 */
export function defineLayout<N extends string>(name: string, doc: string, specs: readonly FieldSpec<N>[]): Layout<N> {
  const fields = specs.map((f): FieldSpec<N> => ({
    name: f.name,
    low: f.low,
    width: f.width,
    tag: f.tag,
    high: f.high ?? false,
    doc: f.doc ?? '',
    mask: f.width >= 1 && f.low >= 0 && f.low + f.width <= 32 ? fieldMask(f.low, f.width) : 0,
  }));
  let defined = 0;
  let tagMask = 0;
  let tagValue = 0;
  const names = new Set<string>();
  for (const f of fields) {
    if (!Number.isInteger(f.low) || !Number.isInteger(f.width) || f.width < 1 || f.low < 0 || f.low + f.width > 32) {
      throw new Error(`layout ${name}: field ${f.name} does not fit in 32 bits`);
    }
    if (names.has(f.name)) throw new Error(`layout ${name}: duplicate field ${f.name}`);
    names.add(f.name);
    const m = fieldMask(f.low, f.width);
    if ((defined & m) !== 0) throw new Error(`layout ${name}: field ${f.name} overlaps another field`);
    defined = (defined | m) >>> 0;
    if (f.tag !== undefined) {
      if (f.high || f.tag < 0 || f.tag >= 2 ** f.width) throw new Error(`layout ${name}: bad tag ${f.name}`);
      tagMask = (tagMask | m) >>> 0;
      tagValue = (tagValue | (f.tag << f.low)) >>> 0;
    }
  }
  return { name, doc, fields, definedMask: defined, tagMask, tagValue };
}

/** The field called `name` (throws on a name the layout lacks: a programming error). */
export function field<N extends string>(layout: Layout<N>, name: N): FieldSpec<N> {
  const f = layout.fields.find((x) => x.name === name);
  if (!f) throw new Error(`layout ${layout.name} has no field ${name}`);
  return f;
}

/** Does the word carry this layout's tags? */
export function matches(layout: Layout, word: number): boolean {
  return ((word & layout.tagMask) >>> 0) === layout.tagValue;
}

export function getField(word: number, f: FieldSpec): number {
  const m = f.mask ?? fieldMask(f.low, f.width);
  return f.high ? (word & m) >>> 0 : ((word & m) >>> 0) >>> f.low;
}

/** The word with field `f` set to `value`; a value that does not fit is a MachineException. */
export function setField(word: number, f: FieldSpec, value: number): number {
  const m = f.mask ?? fieldMask(f.low, f.width);
  // value >>> 0 === value: an integer in [0, 2^32).
  if (f.high) {
    if (value >>> 0 !== value || (value & ~m) !== 0) fieldRange(f, value);
    return ((word & ~m) | value) >>> 0;
  }
  if (value >>> 0 !== value || value > m >>> f.low) fieldRange(f, value);
  return ((word & ~m) | (value << f.low)) >>> 0;
}

function fieldRange(f: FieldSpec, value: number): never {
  throw new MachineException('field-range', value, `field ${f.name} (bits ${f.low}..${f.low + f.width - 1}) cannot hold ${value}`);
}

/**
 * Encodes a word of this layout: tags get their values, listed fields the given ones, every other
 * bit 0. A tag field given a value other than its tag is a MachineException.
 */
export function encode<N extends string>(layout: Layout<N>, values: Partial<FieldValues<N>>): number {
  let w = layout.tagValue;
  for (const f of layout.fields) {
    const v = values[f.name];
    if (v === undefined) continue;
    if (f.tag !== undefined) {
      if (v !== f.tag) throw new MachineException('field-range', v, `tag ${f.name} of ${layout.name} must be ${f.tag}`);
      continue;
    }
    w = setField(w, f, v);
  }
  return w;
}

/** Every field of the word (tags included), whether or not the word matches the layout. */
export function decode<N extends string>(layout: Layout<N>, word: number): FieldValues<N> {
  const out = {} as FieldValues<N>;
  for (const f of layout.fields) out[f.name] = getField(word, f);
  return out;
}
