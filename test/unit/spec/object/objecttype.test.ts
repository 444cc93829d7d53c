import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { CPSR_USER, ROOT_SLOTS, bootLayout } from '../../../../abi/boot';
import { REG } from '../../../../abi/registers';
import { ALL_RIGHTS, NO_RIGHTS } from '../../../../abi/rights';
import type { Cap, CapOf } from '../../../../spec/api/types';
import { bootState } from '../../../../spec/kernel/boot';
import { cnodeSlot, getCTE, getTCB } from '../../../../spec/model/state';
import {
  capRegion, createNewObjects, createObject, deriveCap, hasCancelSendRights, isCapRevocable, maskCapRights, sameObjectAs,
  sameRegionAs, updateCapData,
} from '../../../../spec/object/objecttype';

const config = defaultConfig();
const L = bootLayout(config);
const ep = (badge = 0): CapOf<'EndpointCap'> => ({ tag: 'EndpointCap', ptr: 0x900000, badge, rights: ALL_RIGHTS });
const cn: CapOf<'CNodeCap'> = { tag: 'CNodeCap', ptr: 0x910000, radix: 4, guardSize: 0, guard: 0 };
const ut: CapOf<'UntypedCap'> = { tag: 'UntypedCap', ptr: 0x800000, sizeBits: 23, freeIndex: 0, isDevice: false };

describe('updateCapData', () => {
  it('Mint badges an unbadged EP cap with the low 28 bits; a badged cap or preserve gives NullCap', () => {
    expect(updateCapData(false, 0x12345678, ep())).toMatchObject({ badge: 0x02345678 });
    expect(updateCapData(false, 1, ep(3))).toEqual({ tag: 'NullCap' });
    expect(updateCapData(true, 1, ep())).toEqual({ tag: 'NullCap' });
  });

  it('sets a CNode guard from seL4_CNode_CapData (guard masked to its size), NullCap past 32 bits', () => {
    const data = (guard: number, size: number) => ((guard << 8) | (size << 3)) >>> 0;
    expect(updateCapData(true, data(0x3f, 4), cn)).toMatchObject({ guard: 0xf, guardSize: 4 });
    expect(updateCapData(false, data(0, 28), cn)).toMatchObject({ guardSize: 28 });
    expect(updateCapData(false, data(0, 29), cn)).toEqual({ tag: 'NullCap' });
  });

  it('leaves other caps alone', () => {
    expect(updateCapData(true, 5, ut)).toBe(ut);
  });
});

describe('maskCapRights, deriveCap', () => {
  it('masks EP, notification, reply and frame rights; others unchanged', () => {
    expect(maskCapRights({ ...NO_RIGHTS, read: true }, ep())).toMatchObject({ rights: { ...NO_RIGHTS, read: true } });
    expect(maskCapRights(NO_RIGHTS, { tag: 'ReplyCap', tcb: 1, master: false, canGrant: true })).toMatchObject({ canGrant: false });
    const f: Cap = { tag: 'FrameCap', ptr: 0x1000, size: 'SmallPage', rights: 'VMReadWrite', mapped: null };
    expect(maskCapRights({ ...NO_RIGHTS, read: true }, f)).toMatchObject({ rights: 'VMReadOnly' });
    expect(maskCapRights(NO_RIGHTS, cn)).toBe(cn);
    expect(hasCancelSendRights(ep())).toBe(true);
    expect(hasCancelSendRights(maskCapRights({ ...ALL_RIGHTS, grantReply: false }, ep()))).toBe(false);
  });

  it('derives: IRQControl/Reply give NullCap, an untyped with children RevokeFirst, unmapped PT IllegalOperation', () => {
    const s = bootState(config);
    expect(deriveCap(s, 0, { tag: 'IRQControlCap' })).toEqual({ ok: true, value: { tag: 'NullCap' } });
    expect(deriveCap(s, 0, { tag: 'PageTableCap', ptr: 0x1000, mapped: null })).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    const f: Cap = { tag: 'FrameCap', ptr: 0x1000, size: 'SmallPage', rights: 'VMReadWrite', mapped: { asid: 1, vaddr: 0 } };
    expect(deriveCap(s, 0, f)).toEqual({ ok: true, value: { ...f, mapped: null } });
    const u = cnodeSlot(L.rootCNode, ROOT_SLOTS.firstUntyped + 2);
    expect(deriveCap(s, u, getCTE(s, u).cap).ok).toBe(true);
    const t = structuredClone(s);
    createNewObjects(t, 'Endpoint', u, [cnodeSlot(L.rootCNode, 40)], 0x800000, 0);
    expect(deriveCap(t, u, getCTE(t, u).cap)).toEqual({ ok: false, error: { tag: 'RevokeFirst' } });
  });
});

describe('regions and revocability', () => {
  it('an untyped covers the caps inside its region; frames compare by containment, objects by size too', () => {
    expect(sameRegionAs(ut, ep())).toBe(true);
    expect(sameRegionAs(ut, { ...ut, ptr: 0x1000000 })).toBe(false);
    expect(sameObjectAs(ut, ut)).toBe(false);
    expect(sameRegionAs({ tag: 'IRQControlCap' }, { tag: 'IRQHandlerCap', irq: 3 })).toBe(true);
    const big: Cap = { tag: 'FrameCap', ptr: 0x800000, size: 'LargePage', rights: 'VMReadWrite', mapped: null };
    const small: Cap = { tag: 'FrameCap', ptr: 0x800000, size: 'SmallPage', rights: 'VMReadWrite', mapped: null };
    expect(sameRegionAs(big, small)).toBe(true);
    expect(sameObjectAs(big, small)).toBe(false);
    expect(capRegion(cn)).toEqual({ base: 0x910000, sizeBits: 8 });
  });

  it('isCapRevocable: new badge, IRQ handler from IRQControl, untyped', () => {
    expect(isCapRevocable(ep(5), ep())).toBe(true);
    expect(isCapRevocable(ep(), ep())).toBe(false);
    expect(isCapRevocable({ tag: 'IRQHandlerCap', irq: 1 }, { tag: 'IRQControlCap' })).toBe(true);
    expect(isCapRevocable(ut, ut)).toBe(true);
    expect(isCapRevocable(cn, cn)).toBe(false);
  });
});

describe('createObject', () => {
  it('makes the objects and caps seL4 returns', () => {
    const s = structuredClone(bootState(config));
    expect(createObject(s, 'Endpoint', 0x800000, 0)).toEqual({ ...ep(), ptr: 0x800000 });
    expect(s.objects[0x800000]).toEqual({ tag: 'Endpoint', state: 'Idle', queue: [] });
    expect(createObject(s, 'Notification', 0x800010, 0)).toEqual({
      tag: 'NotificationCap', ptr: 0x800010, badge: 0, rights: { read: true, write: true, grant: false, grantReply: false },
    });
    expect(createObject(s, 'CNode', 0x801000, 5)).toEqual({ tag: 'CNodeCap', ptr: 0x801000, radix: 5, guardSize: 0, guard: 0 });
    expect(createObject(s, 'TCB', 0x802000, 0)).toEqual({ tag: 'ThreadCap', ptr: 0x802000 });
    const tcb = getTCB(s, 0x802000);
    expect(tcb).toMatchObject({ state: { tag: 'Inactive' }, priority: 0, mcp: 0, timeSlice: config.timeslice, boundNotification: null });
    expect(tcb.registers[REG.cpsr]).toBe(CPSR_USER);
    expect(tcb.registers.filter((r) => r !== 0)).toEqual([CPSR_USER]);
    expect(createObject(s, 'Untyped', 0x810000, 12)).toEqual({ tag: 'UntypedCap', ptr: 0x810000, sizeBits: 12, freeIndex: 0, isDevice: false });
    expect(createObject(s, 'SmallPage', 0x820000, 0)).toEqual({ tag: 'FrameCap', ptr: 0x820000, size: 'SmallPage', rights: 'VMReadWrite', mapped: null });
  });
});
