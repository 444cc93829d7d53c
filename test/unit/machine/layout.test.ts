import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { PDE_LAYOUTS, PTE_LAYOUTS } from '../../../machine/descriptors';
import { MachineException } from '../../../machine/exception';
import { decode, defineLayout, encode, fieldMask, getField, matches, setField, type Layout } from '../../../machine/layout';

const SEED = 0x13579bd;
const ALL: readonly Layout[] = [...PDE_LAYOUTS, ...PTE_LAYOUTS];

/** Random values for every non-tag field of a layout (high fields: in place, low bits zero). */
function valuesOf(layout: Layout): fc.Arbitrary<Record<string, number>> {
  const rec: Record<string, fc.Arbitrary<number>> = {};
  for (const f of layout.fields) {
    if (f.tag !== undefined) continue;
    const max = 2 ** f.width - 1;
    rec[f.name] = f.high ? fc.integer({ min: 0, max }).map((v) => (v * 2 ** f.low) >>> 0) : fc.integer({ min: 0, max });
  }
  return fc.record(rec);
}

describe('defineLayout', () => {
  it('rejects overlapping, out-of-word and duplicate fields, and bad tags', () => {
    expect(() => defineLayout('x', '', [{ name: 'a', low: 0, width: 4 }, { name: 'b', low: 3, width: 2 }])).toThrow(/overlaps/);
    expect(() => defineLayout('x', '', [{ name: 'a', low: 30, width: 4 }])).toThrow(/32 bits/);
    expect(() => defineLayout('x', '', [{ name: 'a', low: 0, width: 1 }, { name: 'a', low: 1, width: 1 }])).toThrow(/duplicate/);
    expect(() => defineLayout('x', '', [{ name: 'a', low: 0, width: 1, tag: 2 }])).toThrow(/tag/);
  });

  it('computes defined, tag masks and tag values', () => {
    const l = defineLayout('x', '', [{ name: 't', low: 0, width: 2, tag: 2 }, { name: 'v', low: 8, width: 8 }]);
    expect(l.definedMask).toBe(0xff03);
    expect(l.tagMask).toBe(3);
    expect(l.tagValue).toBe(2);
    expect(fieldMask(0, 32)).toBe(0xffffffff);
    expect(fieldMask(20, 12)).toBe(0xfff00000);
  });
});

describe('encode / decode', () => {
  for (const layout of ALL) {
    test.prop([valuesOf(layout)], { seed: SEED, numRuns: 300 })(`${layout.name}: decode(encode(v)) = v`, (v) => {
      const w = encode(layout, v);
      expect(matches(layout, w)).toBe(true);
      const d = decode(layout, w);
      for (const f of layout.fields) expect(d[f.name]).toBe(f.tag ?? v[f.name]);
    });

    test.prop([fc.integer({ min: 0, max: 0xffffffff })], { seed: SEED, numRuns: 300 })(
      `${layout.name}: encode(decode(w)) = w on the defined bits`,
      (raw) => {
        const w = ((raw & ~layout.tagMask) | layout.tagValue) >>> 0;
        expect(encode(layout, decode(layout, w))).toBe((w & layout.definedMask) >>> 0);
      },
    );
  }

  it('rejects values that do not fit, misplaced addresses and wrong tags', () => {
    const [, coarse, section] = PDE_LAYOUTS;
    expect(() => encode(section, { AP: 4 })).toThrow(MachineException);
    expect(() => encode(section, { base: 0x00380000 })).toThrow(/cannot hold/); // not 1 MiB-aligned
    expect(() => encode(coarse, { type: 2 })).toThrow(/tag/);
    expect(() => setField(0, coarse.fields[0], -1)).toThrow(MachineException);
    try {
      encode(section, { AP: 7 });
    } catch (e) {
      expect(e).toBeInstanceOf(MachineException);
      expect((e as MachineException).kind).toBe('field-range');
    }
  });

  it('getField reads high fields in place and others shifted down', () => {
    const [, , section] = PDE_LAYOUTS;
    const base = section.fields.find((f) => f.name === 'base')!;
    const ap = section.fields.find((f) => f.name === 'AP')!;
    expect(getField(0xfff00c02, base)).toBe(0xfff00000);
    expect(getField(0xfff00c02, ap)).toBe(3);
  });
});

describe('the descriptor unions', () => {
  test.prop([fc.integer({ min: 0, max: 0xffffffff })], { seed: SEED, numRuns: 1000 })(
    'a word matches at most one PDE layout and exactly one PTE layout',
    (w) => {
      const pdes = PDE_LAYOUTS.filter((l) => matches(l, w)).length;
      expect(pdes).toBe((w & 3) === 3 ? 0 : 1); // 0b11 is reserved
      expect(PTE_LAYOUTS.filter((l) => matches(l, w)).length).toBe(1);
    },
  );
});
