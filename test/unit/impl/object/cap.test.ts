// Cap constructors and accessors of impl/object/cap.ts agree: what is built is read back.

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import * as C from '../../../../impl/object/cap';
import { CAP_TAG, CAP_LAYOUTS } from '../../../../impl/object/structures';
import { matches } from '../../../../machine';

const SEED = 0xcab;
const aligned = (bits: number, top = 32) => fc.integer({ min: 0, max: 2 ** (top - bits) - 1 }).map((v) => v * 2 ** bits);
const bool = fc.boolean();
const rights = fc.integer({ min: 0, max: 15 });
const badge = fc.integer({ min: 0, max: 2 ** 28 - 1 });
const opts = { seed: SEED, numRuns: 200 };

describe('cap constructors and accessors', () => {
  test.prop([aligned(4), fc.integer({ min: 4, max: 29 }), fc.integer({ min: 0, max: 2 ** 25 }), bool], opts)('untyped', (p, bits, idx, dev) => {
    const c = C.makeUntypedCap(p, bits, idx, dev);
    expect([C.capType(c), C.capUntypedPtr(c), C.capBlockSize(c), C.capFreeIndex(c), C.capIsDevice(c)]).toEqual([CAP_TAG.untyped, p, bits, idx, dev]);
    expect(C.capFreeIndex(C.capSetFreeIndex(c, 7))).toBe(7);
    expect(matches(CAP_LAYOUTS.untyped.words[0]!, c.w0)).toBe(true);
  });

  test.prop([aligned(4), badge, rights], opts)('endpoint', (p, b, r) => {
    const c = C.makeEndpointCap(p, b, r);
    expect([C.capType(c), C.capEPPtr(c), C.capEPBadge(c), C.capEPRights(c)]).toEqual([CAP_TAG.endpoint, p, b, r]);
    expect([C.capCanSend(c), C.capCanReceive(c), C.capCanGrant(c), C.capCanGrantReply(c)]).toEqual([(r & 1) !== 0, (r & 2) !== 0, (r & 4) !== 0, (r & 8) !== 0]);
    expect(C.capEPBadge(C.capSetEPBadge(c, 5))).toBe(5);
  });

  test.prop([aligned(4), badge, rights], opts)('notification keeps only send and receive', (p, b, r) => {
    const c = C.makeNotificationCap(p, b, r);
    expect([C.capType(c), C.capNtfnPtr(c), C.capNtfnBadge(c), C.capNtfnRights(c)]).toEqual([CAP_TAG.notification, p, b, r & 3]);
  });

  test.prop([aligned(9), bool, bool], opts)('reply and thread', (t, m, g) => {
    const c = C.makeReplyCap(t, m, g);
    expect([C.capType(c), C.capReplyTCBPtr(c), C.capReplyMaster(c), C.capReplyCanGrant(c)]).toEqual([CAP_TAG.reply, t, m, g]);
    const th = C.makeThreadCap(t);
    expect([C.capType(th), C.capTCBPtr(th)]).toEqual([CAP_TAG.thread, t]);
  });

  test.prop([aligned(5), fc.integer({ min: 1, max: 31 }), fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 2 ** 18 - 1 })], opts)('cnode', (p, r, gs, g) => {
    const c = C.makeCNodeCap(p, r, gs, g);
    expect([C.capType(c), C.capCNodePtr(c), C.capCNodeRadix(c), C.capCNodeGuardSize(c), C.capCNodeGuard(c)]).toEqual([CAP_TAG.cnode, p, r, gs, g]);
    expect([C.cnodeW0Ptr(c.w0), C.cnodeW1Radix(c.w1), C.cnodeW1GuardSize(c.w1), C.cnodeW1Guard(c.w1)]).toEqual([p, r, gs, g]);
  });

  test.prop([fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 ** 17 - 1 }), fc.integer({ min: 0, max: 3 }), bool, fc.nat()], opts)(
    'frames of every size, mapped or not',
    (size, asid, vm, dev, seed) => {
      const bits = C.FRAME_SIZE_BITS[size]!;
      const p = (seed % 2 ** (32 - bits)) * 2 ** bits;
      const va = ((seed * 7) % 2 ** (32 - bits)) * 2 ** bits;
      const c = C.makeFrameCap(p, size, vm, dev, asid, va);
      expect(C.isFrameCap(c)).toBe(true);
      expect(C.capType(c)).toBe(size === 0 ? CAP_TAG.smallFrame : CAP_TAG.frame);
      expect([C.capFBasePtr(c), C.capFSize(c), C.capFVMRights(c), C.capFIsDevice(c), C.capFMappedASID(c), C.capFMappedAddress(c)]).toEqual([p, size, vm, dev, asid, va]);
      const un = C.capFSetMapping(c, 0, 0);
      expect([C.capFMappedASID(un), C.capFMappedAddress(un), C.capFBasePtr(un)]).toEqual([0, 0, p]);
    },
  );

  test.prop([aligned(10), bool, fc.integer({ min: 0, max: 2 ** 17 - 1 }), aligned(20)], opts)('page table', (p, m, asid, va) => {
    const c = C.makePageTableCap(p, m, asid, va);
    expect([C.capType(c), C.capPTBasePtr(c), C.capPTIsMapped(c), C.capPTMappedASID(c), C.capPTMappedAddress(c)]).toEqual([CAP_TAG.pageTable, p, m, asid, va]);
  });

  test.prop([aligned(14), bool, fc.integer({ min: 0, max: 2 ** 17 - 1 })], opts)('page directory', (p, m, asid) => {
    const c = C.makePageDirectoryCap(p, m, asid);
    expect([C.capType(c), C.capPDBasePtr(c), C.capPDIsMapped(c), C.capPDMappedASID(c)]).toEqual([CAP_TAG.pageDirectory, p, m, asid]);
  });

  test.prop([aligned(12), fc.integer({ min: 0, max: 2 ** 17 - 1 })], opts)('ASID pool', (p, base) => {
    const c = C.makeASIDPoolCap(p, base);
    expect([C.capType(c), C.capASIDPool(c), C.capASIDBase(c)]).toEqual([CAP_TAG.asidPool, p, base]);
  });

  test.prop([fc.integer({ min: 1, max: 20 }).chain((r) => fc.tuple(fc.constant(r), aligned(r + 4, 29), fc.integer({ min: 0, max: 2 ** r })))], opts)(
    'zombie of a CNode: radix, first slot and count (seL4 Zombie_new)', ([radix, p, n]) => {
      const c = C.makeZombieCap(n, radix, p);
      expect([C.capType(c), C.capZombieType(c), C.capZombieBits(c), C.capZombiePtr(c), C.capZombieNumber(c)]).toEqual([CAP_TAG.zombie, radix, radix, p, n]);
      expect(C.capZombieNumber(C.capZombieSetNumber(c, n === 0 ? 0 : n - 1))).toBe(n === 0 ? 0 : n - 1);
      expect(C.capZombiePtr(C.capZombieSetNumber(c, 0))).toBe(p);
      expect(matches(CAP_LAYOUTS.zombie.words[0]!, c.w0)).toBe(true);
      expect(C.capTypeName(c)).toBe('ZombieCap');
    });

  test.prop([aligned(9, 29), fc.integer({ min: 0, max: 5 })], opts)('zombie of a TCB: type 32, radix 4', (t, n) => {
    const c = C.makeZombieCap(n, C.ZOMBIE_TYPE_TCB, t);
    expect([C.capZombieType(c), C.capZombieBits(c), C.capZombiePtr(c), C.capZombieNumber(c)]).toEqual([32, 4, t, n]);
  });

  it('caps without fields', () => {
    expect(C.capType(C.makeIRQControlCap())).toBe(CAP_TAG.irqControl);
    expect(C.capIRQ(C.makeIRQHandlerCap(31))).toBe(31);
    expect(C.capType(C.makeIRQHandlerCap(3))).toBe(CAP_TAG.irqHandler);
    expect(C.capType(C.makeDomainCap())).toBe(CAP_TAG.domain);
    expect(C.capType(C.makeASIDControlCap())).toBe(CAP_TAG.asidControl);
    expect(C.isNullCap(C.NULL_CAP)).toBe(true);
    expect(C.capTypeName(C.makeEndpointCap(16, 0, 15))).toBe('EndpointCap');
    expect(C.isArchCap(C.makeASIDControlCap())).toBe(true);
    expect(C.isArchCap(C.makeDomainCap())).toBe(false);
  });
});
