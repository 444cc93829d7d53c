import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ARG_POSITIONS, LABEL, METHODS, METHOD_NAMES, methodOfLabel } from '../../../abi/invocations';
import { marshalInvocation } from '../../../abi/marshal';
import { MESSAGE_INFO_LAYOUT, messageInfoFromWord, messageInfoFromWordKernel, wordFromMessageInfo } from '../../../abi/messageinfo';
import { parseTrace } from '../../../abi/trace';

describe('invocation table', () => {
  it('labels follow seL4 order for aarch32 non-MCS', () => {
    expect(LABEL.UntypedRetype).toBe(1);
    expect(LABEL.TCBSetSchedParams).toBe(8);
    expect(LABEL.CNodeRevoke).toBe(17);
    expect(LABEL.IRQIssueIRQHandler).toBe(26);
    expect(LABEL.ARMPDClean_Data).toBe(33);
    expect(LABEL.ARMPageTableMap).toBe(37);
    expect(LABEL.ARMPageMap).toBe(39);
    expect(LABEL.ARMPageGetAddress).toBe(45);
    expect(LABEL.ARMASIDPoolAssign).toBe(47);
  });

  it('every method has a distinct label that maps back to it', () => {
    for (const m of METHOD_NAMES) expect(methodOfLabel(LABEL[METHODS[m].label])).toBe(m);
  });

  it('packs arguments as libsel4 stubs do', () => {
    expect(ARG_POSITIONS.TCB_ReadRegisters).toEqual({
      suspendSource: { kind: 'mr', index: 0, lsb: 0, width: 1 },
      archFlags: { kind: 'mr', index: 0, lsb: 8, width: 8 },
      count: { kind: 'mr', index: 1, lsb: 0, width: 32 },
    });
    expect(ARG_POSITIONS.TCB_CopyRegisters.transferInteger).toEqual({ kind: 'mr', index: 0, lsb: 3, width: 1 });
    expect(ARG_POSITIONS.TCB_CopyRegisters.archFlags).toEqual({ kind: 'mr', index: 0, lsb: 8, width: 8 });
    expect(ARG_POSITIONS.TCB_WriteRegisters.regs).toEqual({ kind: 'regs', index: 2, lsb: 0, width: 32 });
    const m = marshalInvocation('CNode_Mint', { destIndex: 5, destDepth: 300, srcRoot: 2, srcIndex: 6, srcDepth: 32, rights: 3, badge: 9 });
    expect(m).toEqual({ label: LABEL.CNodeMint, mrs: [5, 300 & 0xff, 6, 32, 3, 9], extraCaps: [2] });
    const c = marshalInvocation('TCB_Configure', { faultEP: 1, cspaceRoot: 2, cspaceRootData: 3, vspaceRoot: 4, vspaceRootData: 5, buffer: 6, bufferFrame: 7 });
    expect(c).toEqual({ label: LABEL.TCBConfigure, mrs: [1, 3, 5, 6], extraCaps: [2, 4, 7] });
    // seL4_UserContext has 19 words on aarch32: the stub always sends 2 + 19; missing regs are 0
    const w = marshalInvocation('TCB_WriteRegisters', { resumeTarget: 1, archFlags: 0, count: 2, regs: [10, 20] });
    expect(w.mrs.length).toBe(21);
    expect(w.mrs.slice(0, 5)).toEqual([1, 2, 10, 20, 0]);
    const all = marshalInvocation('TCB_WriteRegisters', { resumeTarget: 0, archFlags: 0, count: 19, regs: Array.from({ length: 19 }, (_, i) => i + 1) });
    expect(all.mrs.slice(18)).toEqual([17, 18, 19]);
    expect(marshalInvocation('TCB_SetTLSBase', { tlsBase: 0xc0ffee00 })).toEqual({ label: LABEL.TCBSetTLSBase, mrs: [0xc0ffee00], extraCaps: [] });
  });

  it('invoke events become Calls with the stub message length, and info overrides it', () => {
    const t = parseTrace({
      format: 'l4check-trace/1',
      events: [{ invoke: 'CNode_Revoke', cap: 2, args: { index: 5, depth: 32 }, info: { length: 1 } }],
    });
    const e = t.events[0].event;
    if (e.tag !== 'syscall') throw new Error('expected a syscall');
    expect(e.method).toBe('CNode_Revoke');
    expect(messageInfoFromWord(e.info)).toEqual({ label: LABEL.CNodeRevoke, capsUnwrapped: 0, extraCaps: 0, length: 1 });
    expect(e.mrs).toEqual([5, 32]);
  });
});

describe('message info', () => {
  it('round-trips every field value', () => {
    fc.assert(
      fc.property(fc.nat(2 ** 20 - 1), fc.nat(7), fc.nat(3), fc.nat(127), (label, capsUnwrapped, extraCaps, length) => {
        const mi = { label, capsUnwrapped, extraCaps, length };
        expect(messageInfoFromWord(wordFromMessageInfo(mi))).toEqual(mi);
      }),
      { seed: 42 },
    );
  });

  it('fields tile the word exactly', () => {
    expect(MESSAGE_INFO_LAYOUT.reduce((n, f) => n + f.width, 0)).toBe(32);
  });

  it('the kernel clamps the length to 120', () => {
    expect(messageInfoFromWordKernel(wordFromMessageInfo({ label: 0, capsUnwrapped: 0, extraCaps: 0, length: 127 })).length).toBe(120);
  });
});
