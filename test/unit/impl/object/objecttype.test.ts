// objecttype of the concrete kernel against the spec's on random caps: region and object
// comparisons, revocability, rights masks, cap data updates, the memory a cap covers. Caps are
// drawn from a small pool of addresses so that overlaps and identical objects are frequent.

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { rightsFromWord } from '../../../../abi/rights';
import * as C from '../../../../impl/object/cap';
import * as I from '../../../../impl/object/objecttype';
import * as S from '../../../../spec/object/objecttype';
import type { Cap as SpecCap } from '../../../../spec/api/types';
import { specCapOf } from './spec-view';

const BASE = 0x00400000;
const ptr = (bits: number) => fc.integer({ min: 0, max: 7 }).map((i) => BASE + ((i * 2 ** bits) % 2 ** 22));
const badge = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 }));
const rightsW = fc.integer({ min: 0, max: 15 });
const bool = fc.boolean();

const arbCap: fc.Arbitrary<C.Cap> = fc.oneof(
  fc.constant(C.NULL_CAP),
  fc.tuple(fc.integer({ min: 4, max: 22 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 64 })).map(([b, i, f]) =>
    C.makeUntypedCap(BASE + ((i * 2 ** b) % 2 ** 22), b, f, false)),
  fc.tuple(ptr(4), badge, rightsW).map(([p, b, r]) => C.makeEndpointCap(p, b, r)),
  fc.tuple(ptr(4), badge, rightsW).map(([p, b, r]) => C.makeNotificationCap(p, b, r)),
  fc.tuple(ptr(9), bool, bool).map(([p, m, g]) => C.makeReplyCap(p, m, g)),
  fc.tuple(ptr(8), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 3 })).map(([p, r, gs, g]) => C.makeCNodeCap(p, r, gs, g)),
  ptr(9).map((p) => C.makeThreadCap(p)),
  fc.constant(C.makeIRQControlCap()),
  fc.integer({ min: 0, max: 3 }).map((i) => C.makeIRQHandlerCap(i)),
  fc.constant(C.makeDomainCap()),
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom(0, 1, 1025)).map(([sz, i, vm, asid]) => {
    const bits = C.FRAME_SIZE_BITS[sz]!;
    return C.makeFrameCap(BASE + ((i * 2 ** bits) % 2 ** 22), sz, vm, false, asid, asid === 0 ? 0 : 0x00200000);
  }),
  fc.tuple(ptr(10), bool).map(([p, m]) => C.makePageTableCap(p, m, m ? 1 : 0, m ? 0x00400000 : 0)),
  fc.tuple(ptr(14), bool).map(([p, m]) => C.makePageDirectoryCap(p, m, m ? 1 : 0)),
  fc.constant(C.makeASIDControlCap()),
  fc.tuple(ptr(12), fc.constantFrom(0, 1024)).map(([p, b]) => C.makeASIDPoolCap(p, b)),
);

const spec = (c: C.Cap): SpecCap => specCapOf(c) as SpecCap;
const opts = { seed: 0x0b7, numRuns: 2000 };

describe('objecttype agrees with the spec', () => {
  test.prop([arbCap, arbCap], opts)('sameRegionAs, sameObjectAs, isCapRevocable', (a, b) => {
    expect(I.sameRegionAs(a, b)).toBe(S.sameRegionAs(spec(a), spec(b)));
    expect(I.sameObjectAs(a, b)).toBe(S.sameObjectAs(spec(a), spec(b)));
    expect(I.isCapRevocable(a, b)).toBe(S.isCapRevocable(spec(a), spec(b)));
  });

  test.prop([arbCap, rightsW, fc.nat({ max: 0xffffffff }), bool], opts)('maskCapRights, updateCapData, hasCancelSendRights, capRegion', (a, r, data, preserve) => {
    expect(specCapOf(I.maskCapRights(r, a))).toEqual(S.maskCapRights(rightsFromWord(r), spec(a)));
    expect(specCapOf(I.updateCapData(preserve, data, a))).toEqual(S.updateCapData(preserve, data, spec(a)));
    expect(I.hasCancelSendRights(a)).toBe(S.hasCancelSendRights(spec(a)));
    expect(I.capRegion(a)).toEqual(S.capRegion(spec(a)));
  });

  it('CNode cap data: guard size and guard from the data word, NullCap past 32 bits', () => {
    const c = C.makeCNodeCap(BASE, 10, 0, 0);
    const u = I.updateCapData(false, (3 << 8) | (5 << 3), c);
    expect([C.capCNodeGuardSize(u), C.capCNodeGuard(u), C.capCNodeRadix(u)]).toEqual([5, 3, 10]);
    expect(C.capType(I.updateCapData(false, 23 << 3, c))).toBe(C.CAP_TAG.null);
  });
});
