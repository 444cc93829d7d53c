import { describe, expect, it } from 'vitest';
import { produce } from 'immer';
import { bootLayout, KERNEL_LAYOUT } from '../../../../abi/boot';
import { applyPlatform, defaultConfig } from '../../../../abi/config';
import { LABEL } from '../../../../abi/invocations';
import { bootState } from '../../../../spec/kernel/boot';
import { step } from '../../../../spec/api/event';
import {
  decodeIRQControlInvocation, decodeIRQHandlerInvocation, handleInterrupt, invokeIRQControl, irqNodeSlot,
} from '../../../../spec/object/interrupt';
import { cnodeSlot } from '../../../../spec/model/state';

const config = defaultConfig();
const L = bootLayout(config);
const slot = (i: number) => cnodeSlot(L.rootCNode, i);
const IRQC = { tag: 'IRQControlCap' } as const;

describe('IRQ node', () => {
  it('one 16-byte slot per line from the IRQ node base', () => {
    expect(irqNodeSlot(0)).toBe(KERNEL_LAYOUT.irqNode);
    expect(irqNodeSlot(5)).toBe(KERNEL_LAYOUT.irqNode + 80);
  });
});

describe('IRQControl_Get', () => {
  it('range, timer and issued lines, then success', () => {
    const s = bootState(config);
    const root = { cap: s.ctes[slot(2)].cap, slot: slot(2) };
    const get = (irq: number, index = 30) =>
      decodeIRQControlInvocation(s, { label: LABEL.IRQIssueIRQHandler, words: [irq, index, 32], extraCaps: [root] }, IRQC, slot(4), L.rootTCB);
    expect(get(32)).toEqual({ ok: false, error: { tag: 'RangeError', min: 0, max: 31 } });
    expect(get(0)).toEqual({ ok: false, error: { tag: 'RevokeFirst' } });
    const d = get(5);
    expect(d).toEqual({ ok: true, value: { tag: 'IssueIRQHandler', irq: 5, destSlot: slot(30), controlSlot: slot(4) } });
    const frozen = bootState(config);
    const after = produce(frozen, (x) => {
      decodeIRQControlInvocation(x, { label: LABEL.IRQIssueIRQHandler, words: [5, 30, 32], extraCaps: [root] }, IRQC, slot(4), L.rootTCB);
    });
    expect(after).toBe(frozen);
    if (d.ok) invokeIRQControl(s, d.value, L.rootTCB);
    expect(s.irqStates[5]).toBe('Signal');
    expect(s.irqMasked[5]).toBe(false);
    expect(s.ctes[slot(30)].cap).toEqual({ tag: 'IRQHandlerCap', irq: 5 });
    expect(get(5, 31)).toEqual({ ok: false, error: { tag: 'RevokeFirst' } });
  });
});

describe('IRQHandler', () => {
  it('SetNotification needs a notification cap with Write', () => {
    const s = bootState(config);
    const h = { tag: 'IRQHandlerCap', irq: 3 } as const;
    const dec = (cap: Parameters<typeof decodeIRQHandlerInvocation>[1]['extraCaps']) =>
      decodeIRQHandlerInvocation(s, { label: LABEL.IRQSetIRQHandler, words: [], extraCaps: cap }, h, slot(30), L.rootTCB);
    expect(dec([])).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    const ro = { tag: 'NotificationCap', ptr: 0x00200000, badge: 0, rights: { read: true, write: false, grant: false, grantReply: false } } as const;
    expect(dec([{ cap: ro, slot: slot(40) }])).toEqual({ ok: false, error: { tag: 'InvalidCapability', argument: 0 } });
    expect(dec([{ cap: { ...ro, rights: { ...ro.rights, write: true } }, slot: slot(40) }]).ok).toBe(true);
    const other = decodeIRQHandlerInvocation(s, { label: LABEL.ARMPageMap, words: [], extraCaps: [] }, h, slot(30), L.rootTCB);
    expect(other).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
  });

  it('handleInterrupt masks a Signal line without a notification and an Inactive line', () => {
    const s = bootState(config);
    s.irqStates[4] = 'Signal';
    s.irqMasked[4] = false;
    s.irqMasked[6] = false;
    handleInterrupt(s, 4);
    handleInterrupt(s, 6);
    expect(s.irqMasked[4]).toBe(true);
    expect(s.irqMasked[6]).toBe(true);
  });
});

describe('the qemu-arm-virt layout (160 lines, the timer on 27)', () => {
  const qemu = applyPlatform(config, 'qemu-arm-virt');
  const Q = bootLayout(qemu);
  const qslot = (i: number) => cnodeSlot(Q.rootCNode, i);

  it('boots with line 27 Timer (unmasked) and every other line Inactive (masked), as init_irqs', () => {
    const s = bootState(qemu);
    expect(s.irqStates).toHaveLength(160);
    expect(s.irqStates.flatMap((st, l) => (st === 'Inactive' ? [] : [[l, st]]))).toEqual([[27, 'Timer']]);
    expect(s.irqMasked.flatMap((m, l) => (m ? [] : [l]))).toEqual([27]);
  });

  it('IRQControl_Get: 0..159 but the timer, RangeError [0, 159] beyond, RevokeFirst for 27', () => {
    const s = bootState(qemu);
    const root = { cap: s.ctes[qslot(2)].cap, slot: qslot(2) };
    const get = (irq: number) =>
      decodeIRQControlInvocation(s, { label: LABEL.IRQIssueIRQHandler, words: [irq, 30, 32], extraCaps: [root] }, IRQC, qslot(4), Q.rootTCB);
    for (const l of [0, 26, 28, 159]) expect(get(l)).toEqual({ ok: true, value: { tag: 'IssueIRQHandler', irq: l, destSlot: qslot(30), controlSlot: qslot(4) } });
    for (const l of [160, 300, 0xffffffff]) expect(get(l)).toEqual({ ok: false, error: { tag: 'RangeError', min: 0, max: 159 } });
    expect(get(27)).toEqual({ ok: false, error: { tag: 'RevokeFirst' } });
  });

  it('a tick raises line 27 (a timer tick), never line 0', () => {
    let s = bootState(qemu);
    s.irqStates[0] = 'Signal';
    s.irqMasked[0] = false;
    const slice = (st: typeof s) => (st.objects[Q.rootTCB] as { timeSlice: number }).timeSlice;
    const before = slice(s);
    s = step(s, { tag: 'tick', count: 1 }, 1).state;
    expect(slice(s)).toBe(before - 1);
    expect(s.irqMasked[0]).toBe(false);
    expect(s.irqPending[0]).toBe(false);
  });
});
