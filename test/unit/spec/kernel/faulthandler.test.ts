import { describe, expect, it } from 'vitest';
import { FAULT_LENGTHS, FAULT_TYPES } from '../../../../abi/errors';
import { REG } from '../../../../abi/registers';
import type { Fault } from '../../../../spec/api/failures';
import { getObject, getTCB } from '../../../../spec/model/state';
import { faultMessageWords, handleFault, handleFaultReply } from '../../../../spec/kernel/faulthandler';
import { ADDR, SLOT, addThread, epCap, putCap, rights, run, stateOf, world } from '../ipc-fixture';

const FAULTS: Record<Fault['tag'], Fault> = {
  CapFault: { tag: 'CapFault', address: 77, inReceivePhase: true, failure: { tag: 'GuardMismatch', bitsLeft: 32, guardFound: 0, guardSize: 20 } },
  UnknownSyscall: { tag: 'UnknownSyscall', number: 0x1234 },
  UserException: { tag: 'UserException', number: 9, code: 0 },
  VMFault: { tag: 'VMFault', address: 0x1000, fsr: 0x807, instruction: false },
};

describe('fault messages', () => {
  it('have seL4 lengths (a cap fault by its lookup failure)', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbA, { name: 'a' });
    for (const f of Object.values(FAULTS)) expect(faultMessageWords(w.s, a, f).length).toBe(FAULT_LENGTHS[f.tag]);
    const missing: Fault = { tag: 'CapFault', address: 1, inReceivePhase: false, failure: { tag: 'MissingCapability', bitsLeft: 0 } };
    expect(faultMessageWords(w.s, a, missing)).toEqual([getTCB(w.s, a).registers[REG.pc], 1, 0, 2, 0]);
    const root: Fault = { tag: 'CapFault', address: 1, inReceivePhase: false, failure: { tag: 'InvalidRoot' } };
    expect(faultMessageWords(w.s, a, root).length).toBe(4);
  });

  it('carry the registers in seL4 order', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbA, { name: 'a' });
    const regs = getTCB(w.s, a).registers;
    regs.forEach((_, i) => (regs[i] = 100 + i));
    expect(faultMessageWords(w.s, a, FAULTS.UnknownSyscall)).toEqual([
      regs[REG.r0], regs[REG.r1], regs[REG.r2], regs[REG.r3], regs[REG.r4], regs[REG.r5], regs[REG.r6], regs[REG.r7],
      regs[REG.pc], regs[REG.sp], regs[REG.r14], regs[REG.cpsr], 0x1234,
    ]);
    expect(faultMessageWords(w.s, a, FAULTS.UserException)).toEqual([regs[REG.pc], regs[REG.sp], regs[REG.cpsr], 9, 0]);
    expect(faultMessageWords(w.s, a, FAULTS.VMFault)).toEqual([regs[REG.pc], 0x1000, 0, 0x807]);
  });
});

describe('handleFault', () => {
  it('without a handler stops the thread', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbA, { name: 'a', state: { tag: 'Running' } });
    const s = run(w.s, (d) => handleFault(d, a, FAULTS.VMFault));
    expect(stateOf(s, a)).toBe('Inactive');
    expect(getTCB(s, a).fault).toBeNull();
  });

  it('a handler cap without Write, or without Grant and GrantReply, is a double fault', () => {
    for (const r of ['RGP', 'RW']) {
      const w = world();
      putCap(w, SLOT.epBadged, epCap(ADDR.ep, 3, rights(r)));
      const a = addThread(w, ADDR.tcbA, { name: 'a', state: { tag: 'Running' }, faultHandler: SLOT.epBadged });
      const s = run(w.s, (d) => handleFault(d, a, FAULTS.VMFault));
      expect(stateOf(s, a)).toBe('Inactive');
    }
  });

  it('with GrantReply only, queues the thread as a calling sender', () => {
    const w = world();
    putCap(w, SLOT.epBadged, epCap(ADDR.ep, 3, rights('WP')));
    const a = addThread(w, ADDR.tcbA, { name: 'a', state: { tag: 'Running' }, faultHandler: SLOT.epBadged });
    const s = run(w.s, (d) => handleFault(d, a, FAULTS.UserException));
    expect(getTCB(s, a).state).toEqual({ tag: 'BlockedOnSend', ep: ADDR.ep, badge: 3, canGrant: false, canGrantReply: true, isCall: true });
    expect(getTCB(s, a).fault).toEqual(FAULTS.UserException);
    expect(getObject(s, ADDR.ep, 'Endpoint').queue).toEqual([a]);
  });

  it('a waiting handler gets the message with the handler badge; the thread waits for the reply', () => {
    const w = world();
    putCap(w, SLOT.epBadged, epCap(ADDR.ep, 3, rights('WG')));
    const a = addThread(w, ADDR.tcbA, { name: 'a', state: { tag: 'Running' }, faultHandler: SLOT.epBadged });
    const h = addThread(w, ADDR.tcbB, { name: 'h', state: { tag: 'BlockedOnReceive', ep: ADDR.ep, canGrant: false } });
    getObject(w.s, ADDR.ep, 'Endpoint').state = 'Recv';
    getObject(w.s, ADDR.ep, 'Endpoint').queue = [h];
    const s = run(w.s, (d) => handleFault(d, a, FAULTS.VMFault));
    expect(stateOf(s, a)).toBe('BlockedOnReply');
    expect(stateOf(s, h)).toBe('Running');
    expect(getTCB(s, h).delivered).toEqual({
      badge: 3,
      info: { label: FAULT_TYPES.VMFault, capsUnwrapped: 0, extraCaps: 0, length: 4 },
      mrs: [getTCB(s, a).registers[REG.pc], 0x1000, 0, 0x807],
    });
  });

  it('a fault message is cut to four words for a handler without IPC buffer', () => {
    const w = world();
    putCap(w, SLOT.epBadged, epCap(ADDR.ep, 0, rights('WG')));
    const a = addThread(w, ADDR.tcbA, { name: 'a', state: { tag: 'Running' }, faultHandler: SLOT.epBadged });
    const h = addThread(w, ADDR.tcbB, { name: 'h', state: { tag: 'BlockedOnReceive', ep: ADDR.ep, canGrant: false } });
    getObject(w.s, ADDR.ep, 'Endpoint').state = 'Recv';
    getObject(w.s, ADDR.ep, 'Endpoint').queue = [h];
    const s = run(w.s, (d) => handleFault(d, a, FAULTS.UnknownSyscall));
    expect(getTCB(s, h).delivered.info).toEqual({ label: FAULT_TYPES.UnknownSyscall, capsUnwrapped: 0, extraCaps: 0, length: 4 });
  });
});

describe('handleFaultReply', () => {
  const info = (label: number, length: number) => ({ label, capsUnwrapped: 0, extraCaps: 0, length });

  it('cap and VM faults restart whatever the reply', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbA, { name: 'a' });
    for (const f of [FAULTS.CapFault, FAULTS.VMFault]) {
      let r = false;
      const s = run(w.s, (d) => {
        r = handleFaultReply(d, a, f, info(5, 3), [1, 2, 3]);
      });
      expect(r).toBe(true);
      expect(getTCB(s, a).registers).toEqual(getTCB(w.s, a).registers);
    }
  });

  it('an unknown-syscall reply writes back the registers it carries, sanitised', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbA, { name: 'a' });
    const words = [10, 11, 12, 13, 14, 15, 16, 17, 0x5000, 0x6000, 0x7000, 0xffffffff];
    let r = false;
    const s = run(w.s, (d) => {
      r = handleFaultReply(d, a, FAULTS.UnknownSyscall, info(0, 12), words);
    });
    expect(r).toBe(true);
    const regs = getTCB(s, a).registers;
    expect([regs[REG.r0], regs[REG.r7], regs[REG.pc], regs[REG.sp], regs[REG.r14]]).toEqual([10, 17, 0x5000, 0x6000, 0x7000]);
    expect(regs[REG.cpsr]).toBe(0xf8000150);
  });

  it('writes only min(length, words) registers; a non-zero label stops the thread', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbA, { name: 'a' });
    const before = [...getTCB(w.s, a).registers];
    let r = true;
    const s = run(w.s, (d) => {
      r = handleFaultReply(d, a, FAULTS.UserException, info(1, 1), [0x4444, 0x5555]);
    });
    expect(r).toBe(false);
    const regs = getTCB(s, a).registers;
    expect(regs[REG.pc]).toBe(0x4444);
    expect(regs[REG.sp]).toBe(before[REG.sp]);
  });
});
