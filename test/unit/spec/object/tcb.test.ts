// TCB invocations (spec/object/tcb.ts): label dispatch, decoders' check order and purity, and
// ThreadControl's slot replacement.

import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { LABEL } from '../../../../abi/invocations';
import { N_USER_REGISTERS, REG, TLS_BASE_REGISTER } from '../../../../abi/registers';
import { ROOT_SLOTS } from '../../../../abi/boot';
import type { Cap, InvocationArgs, PPtr } from '../../../../spec/api/types';
import { type KernelState, getCTE, getTCB, tcbSlot } from '../../../../spec/model/state';
import { TCB_SLOT } from '../../../../spec/object/structures';
import { decodeDomainInvocation, decodeTCBInvocation, invokeTCB } from '../../../../spec/object/tcb';
import { ADDR, type World, addThread, rootSlot, run, world } from '../ipc-fixture';

const T = ADDR.tcbA;

function setup(): World {
  const w = world();
  addThread(w, T, { name: 'T', priority: 10 });
  return w;
}

const threadCap = (p: PPtr): Cap => ({ tag: 'ThreadCap', ptr: p });
const extra = (w: World, i: number) => ({ cap: getCTE(w.s, rootSlot(w, i)).cap, slot: rootSlot(w, i) });
const args = (label: number, words: number[], extraCaps: InvocationArgs['extraCaps'] = []): InvocationArgs => ({ label, words, extraCaps });

function decode(w: World, a: InvocationArgs, target: PPtr = T) {
  let result: ReturnType<typeof decodeTCBInvocation> | undefined;
  const after = produce(w.s, (d: KernelState) => {
    result = decodeTCBInvocation(d, a, { tag: 'ThreadCap', ptr: target }, rootSlot(w, 40), w.root);
  });
  expect(after).toBe(w.s); // decoders never change the state
  return result!;
}

const errTag = (r: ReturnType<typeof decode>) => (r.ok ? 'ok' : r.error.tag);

describe('decodeTCBInvocation', () => {
  it('labels of other configurations and of other objects are IllegalOperation', () => {
    const w = setup();
    for (const l of [LABEL.TCBSetSchedParams, LABEL.TCBSetFlags, LABEL.CNodeRevoke, LABEL.InvalidInvocation, 9999]) {
      expect(decode(w, args(l, [0, 0, 0, 0]))).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    }
    expect(decodeDomainInvocation(w.s, args(LABEL.DomainSetSet, [0], []))).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
  });

  it('ReadRegisters: length, then the count range, then self', () => {
    const w = setup();
    expect(errTag(decode(w, args(LABEL.TCBReadRegisters, [0])))).toBe('TruncatedMessage');
    // seL4: n_frameRegisters + n_gpRegisters = 10 + 9 on aarch32
    expect(decode(w, args(LABEL.TCBReadRegisters, [0, 0]), w.root)).toEqual({ ok: false, error: { tag: 'RangeError', min: 1, max: 19 } });
    expect(decode(w, args(LABEL.TCBReadRegisters, [0, 20]), w.root)).toEqual({ ok: false, error: { tag: 'RangeError', min: 1, max: 19 } });
    expect(errTag(decode(w, args(LABEL.TCBReadRegisters, [0, 19]), w.root))).toBe('IllegalOperation');
    expect(decode(w, args(LABEL.TCBReadRegisters, [0x101, 19]))).toEqual({ ok: true, value: { tag: 'ReadRegisters', thread: T, suspend: true, count: 19 } });
  });

  it('WriteRegisters: the count must fit the message, before the self check', () => {
    const w = setup();
    expect(errTag(decode(w, args(LABEL.TCBWriteRegisters, [0, 3, 1, 2]), w.root))).toBe('TruncatedMessage');
    expect(errTag(decode(w, args(LABEL.TCBWriteRegisters, [0, 2, 1, 2]), w.root))).toBe('IllegalOperation');
    expect(errTag(decode(w, args(LABEL.TCBWriteRegisters, [0, 19, ...Array(18).fill(7)])))).toBe('TruncatedMessage');
    const r = decode(w, args(LABEL.TCBWriteRegisters, [1, 30, ...Array(30).fill(7)]));
    expect(r.ok && r.value.tag === 'WriteRegisters' && r.value.values.length).toBe(19); // a count beyond 19 writes 19
  });

  it('SetTLSBase: one word, on any thread, the caller included', () => {
    const w = setup();
    expect(errTag(decode(w, args(LABEL.TCBSetTLSBase, [])))).toBe('TruncatedMessage');
    expect(decode(w, args(LABEL.TCBSetTLSBase, [0xc0ffee00, 5]), w.root)).toEqual({ ok: true, value: { tag: 'SetTLSBase', thread: w.root, tlsBase: 0xc0ffee00 } });
  });

  it('CopyRegisters needs a thread cap as source', () => {
    const w = setup();
    expect(errTag(decode(w, args(LABEL.TCBCopyRegisters, [0])))).toBe('TruncatedMessage');
    expect(decode(w, args(LABEL.TCBCopyRegisters, [0], [extra(w, 20)]))).toEqual({ ok: false, error: { tag: 'InvalidCapability', argument: 1 } });
    expect(decode(w, args(LABEL.TCBCopyRegisters, [0xf], [extra(w, ROOT_SLOTS.tcb)]))).toEqual({
      ok: true,
      value: { tag: 'CopyRegisters', target: T, source: w.root, suspendSource: true, resumeTarget: true, transferFrame: true, transferInteger: true },
    });
  });

  it('SetPriority checks against the authority MCP', () => {
    const w = setup();
    getTCB(w.s, w.root).mcp = 40;
    expect(decode(w, args(LABEL.TCBSetPriority, [41], [extra(w, ROOT_SLOTS.tcb)]))).toEqual({ ok: false, error: { tag: 'RangeError', min: 0, max: 40 } });
    const r = decode(w, args(LABEL.TCBSetPriority, [40], [extra(w, ROOT_SLOTS.tcb)]));
    expect(r.ok && r.value.tag === 'ThreadControl' && r.value.priority).toBe(40);
  });

  it('BindNotification: an already bound thread is refused before the cap is looked at', () => {
    const w = setup();
    getTCB(w.s, T).boundNotification = ADDR.ntfn2;
    expect(errTag(decode(w, args(LABEL.TCBBindNotification, [], [extra(w, 20)])))).toBe('IllegalOperation');
    expect(errTag(decode(w, args(LABEL.TCBBindNotification, [], [])))).toBe('TruncatedMessage');
  });
});

describe('ThreadControl', () => {
  it('Configure installs derived caps as children of their sources and sets the fault handler and buffer', () => {
    const w = setup();
    w.s.ctes[rootSlot(w, 40)] = { cap: threadCap(T), mdb: { prev: 0, next: 0, revocable: true, firstBadged: true } };
    w.s.ctes[rootSlot(w, 41)] = { cap: { tag: 'FrameCap', ptr: ADDR.frameA, size: 'SmallPage', rights: 'VMReadWrite', mapped: null }, mdb: { prev: 0, next: 0, revocable: true, firstBadged: true } };
    delete w.s.ctes[tcbSlot(T, TCB_SLOT.cTable)]; // the fixture's unlinked copy would count as final
    const r = decode(w, args(LABEL.TCBConfigure, [7, 0, 0, 0x00300200], [extra(w, ROOT_SLOTS.cnode), extra(w, ROOT_SLOTS.vspace), extra(w, 41)]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const s = run(w.s, (d) => invokeTCB(d, r.value, w.root));
    const t = getTCB(s, T);
    expect([t.faultHandler, t.ipcBuffer]).toEqual([7, 0x00300200]);
    expect(getCTE(s, tcbSlot(T, TCB_SLOT.vTable)).cap).toEqual(getCTE(s, rootSlot(w, ROOT_SLOTS.vspace)).cap);
    expect(getCTE(s, tcbSlot(T, TCB_SLOT.buffer)).cap.tag).toBe('FrameCap');
    expect(getCTE(s, tcbSlot(T, TCB_SLOT.buffer)).mdb.prev).toBe(rootSlot(w, 41));
  });

  it('a source slot emptied before the perform is not copied (sameObjectAs check)', () => {
    const w = setup();
    w.s.ctes[rootSlot(w, 40)] = { cap: threadCap(T), mdb: { prev: 0, next: 0, revocable: true, firstBadged: true } };
    w.s.ctes[rootSlot(w, 41)] = { cap: { tag: 'FrameCap', ptr: ADDR.frameA, size: 'SmallPage', rights: 'VMReadWrite', mapped: null }, mdb: { prev: 0, next: 0, revocable: true, firstBadged: true } };
    const r = decode(w, args(LABEL.TCBSetIPCBuffer, [0x00300000], [extra(w, 41)]));
    if (!r.ok) throw new Error('decode failed');
    const s = run(w.s, (d) => {
      delete d.ctes[rootSlot(w, 41)];
      invokeTCB(d, r.value, w.root);
    });
    expect(getCTE(s, tcbSlot(T, TCB_SLOT.buffer)).cap.tag).toBe('NullCap');
    expect(getTCB(s, T).ipcBuffer).toBe(0x00300000);
    const s2 = run(w.s, (d) => {
      delete d.ctes[rootSlot(w, 40)];
      invokeTCB(d, r.value, w.root);
    });
    expect(getCTE(s2, tcbSlot(T, TCB_SLOT.buffer)).cap.tag).toBe('NullCap');
  });

  it('a final CNode cap in the CTable slot refuses Configure (long-running delete)', () => {
    const w = setup();
    const r = decode(w, args(LABEL.TCBSetSpace, [0, 0, 0], [extra(w, ROOT_SLOTS.cnode), extra(w, ROOT_SLOTS.vspace)]));
    expect(errTag(r)).toBe('IllegalOperation');
  });

  it('SetIPCBuffer with address 0 empties the buffer slot', () => {
    const w = setup();
    addThread(w, ADDR.tcbB, { name: 'B', frame: ADDR.frameB });
    const r = decode(w, args(LABEL.TCBSetIPCBuffer, [0], [extra(w, 20)]), ADDR.tcbB);
    if (!r.ok) throw new Error('decode failed');
    const s = run(w.s, (d) => invokeTCB(d, r.value, w.root));
    expect(getCTE(s, tcbSlot(ADDR.tcbB, TCB_SLOT.buffer)).cap.tag).toBe('NullCap');
    expect(getTCB(s, ADDR.tcbB).ipcBuffer).toBe(0);
  });

  it('SetTLSBase writes TPIDRURW only; on the caller it asks the scheduler to choose', () => {
    const w = setup();
    const s = run(w.s, (d) => invokeTCB(d, { tag: 'SetTLSBase', thread: T, tlsBase: 0xffffffff }, w.root));
    expect(TLS_BASE_REGISTER).toBe(REG.tpidrurw);
    const expected = [...getTCB(w.s, T).registers];
    expected[REG.tpidrurw] = 0xffffffff;
    expect(getTCB(s, T).registers).toEqual(expected);
    expect(s.schedulerAction).toEqual({ tag: 'ResumeCurrentThread' });
    const self = run(w.s, (d) => invokeTCB(d, { tag: 'SetTLSBase', thread: w.root, tlsBase: 7 }, w.root));
    expect(getTCB(self, w.root).registers[REG.tpidrurw]).toBe(7);
    expect(self.schedulerAction).toEqual({ tag: 'ChooseNewThread' });
  });

  it('CopyRegisters with transferInteger copies the thread ID registers (seL4 gpRegisters)', () => {
    const w = setup();
    const s = run(w.s, (d) => {
      getTCB(d, w.root).registers = Array.from({ length: N_USER_REGISTERS }, (_, r) => 100 + r);
      invokeTCB(d, { tag: 'CopyRegisters', target: T, source: w.root, suspendSource: false, resumeTarget: false, transferFrame: false, transferInteger: true }, w.root);
    });
    const regs = getTCB(s, T).registers;
    expect([regs[REG.r2], regs[REG.r14], regs[REG.tpidrurw], regs[REG.tpidruro]]).toEqual([100 + REG.r2, 100 + REG.r14, 100 + REG.tpidrurw, 100 + REG.tpidruro]);
    expect(regs[REG.r12]).toBe(getTCB(w.s, T).registers[REG.r12]);
  });

  it('ReadRegisters returns the first count registers', () => {
    const w = setup();
    const s = run(w.s, (d) => {
      expect(invokeTCB(d, { tag: 'ReadRegisters', thread: T, suspend: false, count: 2 }, w.root)).toEqual([0x10000 + (T & 0xffff), 0x20000]);
    });
    expect(s).toBe(w.s);
  });
});
