// refinement/diff: the paths it reports, what it calls equal, and its limit.

import { describe, expect, it } from 'vitest';
import { diffs } from '../../../refinement/diff';

describe('diffs', () => {
  it('names the differing leaves by path, address-keyed tables in hex', () => {
    const spec = { objects: { 8392704: { tag: 'TCB', registers: [1, 2, 3] } }, curThread: 5 };
    const impl = { objects: { 8392704: { tag: 'TCB', registers: [1, 9, 3] } }, curThread: 6 };
    expect(diffs(spec, impl)).toEqual([
      { path: 'objects[0x00801000].registers[1]', spec: 2, impl: 9 },
      { path: 'curThread', spec: 5, impl: 6 },
    ]);
  });

  it('treats an absent key as undefined and ignores key order', () => {
    expect(diffs({ a: 1, b: undefined }, { a: 1 })).toEqual([]);
    expect(diffs({ a: 1, b: { c: [1] } }, { b: { c: [1] }, a: 1 })).toEqual([]);
  });

  it('reports a key present on one side only, and arrays of different lengths whole', () => {
    expect(diffs({ a: 1 }, { a: 1, x: 2 })).toEqual([{ path: 'x', spec: 'absent', impl: 2 }]);
    expect(diffs({ q: [1, 2] }, { q: [1] })).toEqual([{ path: 'q', spec: [1, 2], impl: [1] }]);
    expect(diffs({ q: [1] }, { q: { 0: 1 } })).toEqual([{ path: 'q', spec: [1], impl: { 0: 1 } }]);
  });

  it('counts NaN as a difference (it is not a state value) and stops at the limit', () => {
    expect(diffs({ n: NaN }, { n: NaN })).toHaveLength(1);
    const a = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i]));
    const b = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, -i - 1]));
    expect(diffs(a, b, '', 5)).toHaveLength(5);
  });
});
