// The fastpath's cap lookup (seL4 lookup_fp) never disagrees with the slowpath's: whenever it finds
// a cap, lookupCap finds the same cap; on the boot CSpace shape (one CNode, guard to 32 bits) it
// finds every slot. Random two-level CSpaces with random guards and radices, random cap pointers.

import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { Kernel } from '../../../../impl/model/state';
import { type Cap, capEquals, isNullCap, makeCNodeCap, makeEndpointCap, readCap, writeCap } from '../../../../impl/object/cap';
import { lookupCap } from '../../../../impl/kernel/cspace';
import { lookupFp } from '../../../../impl/fastpath/fastpath';
import { TCB_CNODE_SLOT, tcbSlotAddr } from '../../../../impl/object/tcb-fields';

const k = new Kernel({ ...defaultConfig(), memoryBits: 22, untyped: [] });
const T = 0x00200000;
const ROOT = 0x00210000; // up to 2^8 slots
const CHILD = 0x00220000;

/** A guard always fits its size (seL4's updateCapData masks it), so guard size 0 means guard 0. */
const fit = (guard: number, size: number): number => guard % 2 ** size;

function space(rootRadix: number, rootGuardSize: number, rootGuard: number, childRadix: number, childGuardSize: number, childGuard: number): Cap {
  k.m.zero(ROOT, 16 << rootRadix);
  k.m.zero(CHILD, 16 << childRadix);
  for (let i = 0; i < 1 << rootRadix; i++) writeCap(k, ROOT + 16 * i, makeEndpointCap(0x00300000 + 16 * i, i, 0xf));
  for (let i = 0; i < 1 << childRadix; i++) writeCap(k, CHILD + 16 * i, makeEndpointCap(0x00380000 + 16 * i, 1000 + i, 0xf));
  writeCap(k, ROOT + 16 * 1, makeCNodeCap(CHILD, childRadix, childGuardSize, fit(childGuard, childGuardSize)));
  const root = makeCNodeCap(ROOT, rootRadix, rootGuardSize, fit(rootGuard, rootGuardSize));
  writeCap(k, tcbSlotAddr(T, TCB_CNODE_SLOT.cTable), root);
  return root;
}

const arbSpace = fc.record({
  rootRadix: fc.integer({ min: 1, max: 8 }),
  rootGuardSize: fc.integer({ min: 0, max: 24 }),
  rootGuard: fc.nat({ max: 7 }),
  childRadix: fc.integer({ min: 1, max: 6 }),
  childGuardSize: fc.integer({ min: 0, max: 24 }),
  childGuard: fc.nat({ max: 3 }),
});
const arbCptr = fc.oneof(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffff }), fc.nat({ max: 0xff }).map((x) => (x << 24) >>> 0));

test.prop([arbSpace, fc.array(arbCptr, { minLength: 1, maxLength: 20 })], { seed: 0x100f })(
  'a cap lookup_fp finds is the one lookupCap finds',
  (sp, cptrs) => {
    const root = space(sp.rootRadix, sp.rootGuardSize, sp.rootGuard, sp.childRadix, sp.childGuardSize, sp.childGuard);
    for (const cptr of cptrs) {
      const fast = lookupFp(k, root, cptr);
      if (isNullCap(fast)) continue;
      const slow = lookupCap(k, T, cptr);
      expect(slow.ok, `cptr 0x${cptr.toString(16)}`).toBe(true);
      if (slow.ok) expect(capEquals(fast, slow.value.cap)).toBe(true);
    }
  },
);

test.prop([fc.integer({ min: 1, max: 8 }), fc.nat({ max: 255 })], { seed: 0x1010 })('the boot CSpace shape resolves every slot', (radix, i) => {
  const root = space(radix, 32 - radix, 0, 1, 0, 0);
  const slot = i % (1 << radix);
  expect(capEquals(lookupFp(k, root, slot), readCap(k, ROOT + 16 * slot))).toBe(true);
});
