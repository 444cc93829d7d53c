import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { N_USER_REGISTERS } from '../../../../abi/registers';
import { Kernel } from '../../../../impl/model/state';
import { FAULT_TYPE, LOOKUP_FAULT, TCB_OFFSET, TCB_WORD, THREAD_STATE } from '../../../../impl/object/structures';
import * as F from '../../../../impl/object/tcb-fields';

const SEED = 0x7cb1;
const T = 0x00300000; // a TCB block
const u32 = fc.integer({ min: 0, max: 0xffffffff });

const K = new Kernel({ ...defaultConfig(), memoryBits: 22, untyped: [] });

/** One shared kernel (allocating 4 MiB per property run is slow), its test TCB and globals zeroed. */
function kernel(): Kernel {
  K.m.zero(T, 512);
  K.m.zero(0, 0x1000);
  return K;
}

describe('tcb-fields addresses', () => {
  it('places tcb_t words after the TCB CNode and slots at 16-byte steps', () => {
    expect(F.tcbWordAddr(T, TCB_WORD.prio)).toBe(T + TCB_OFFSET + 4 * TCB_WORD.prio);
    expect(F.tcbSlotAddr(T, F.TCB_CNODE_SLOT.caller)).toBe(T + 48);
    expect(F.registersAddr(T)).toBe(T + TCB_OFFSET);
    expect(F.tcbSlotAddr(T, F.TCB_CNODE_SLOT.buffer) + 16).toBeLessThanOrEqual(T + TCB_OFFSET);
  });

  it('keeps the 19 registers first and every tcb_t word distinct inside the 2^9-byte block', () => {
    const words = Object.values(TCB_WORD);
    expect(new Set(words).size).toBe(words.length);
    expect(Math.min(...words.filter((w) => w !== TCB_WORD.registers))).toBe(TCB_WORD.registers + N_USER_REGISTERS);
    expect(F.USER_CONTEXT_BYTES).toBe(4 * 19);
    expect(F.tcbWordAddr(T, Math.max(...words)) + 4).toBeLessThanOrEqual(T + 512);
  });
});

describe('thread state words', () => {
  test.prop(
    [fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 0x0fffffff }), fc.integer({ min: 0, max: 0x0fffffff }), fc.boolean(), fc.boolean(), fc.boolean()],
    { seed: SEED },
  )('round trip', (type, obj, badge, g, gr, call) => {
    const k = kernel();
    const ptr = (obj << 4) >>> 0;
    F.setThreadStateWords(k, T, F.threadStateWord0(type, ptr), F.threadStateWord1(badge, g, gr, call));
    expect(F.getThreadStateType(k, T)).toBe(type);
    expect(F.getBlockingObject(k, T)).toBe(ptr);
    expect(F.getBlockingIPCBadge(k, T)).toBe(badge);
    expect(F.getBlockingIPCCanGrant(k, T)).toBe(g);
    expect(F.getBlockingIPCCanGrantReply(k, T)).toBe(gr);
    expect(F.getBlockingIPCIsCall(k, T)).toBe(call);
    expect(F.isRunnable(k, T)).toBe(type === THREAD_STATE.Running || type === THREAD_STATE.Restart);
    expect(F.isBlocked(k, T)).toBe(type >= THREAD_STATE.BlockedOnReceive && type <= THREAD_STATE.BlockedOnNotification);
  });

  it('simple states clear the payload', () => {
    const k = kernel();
    F.setThreadStateWords(k, T, F.threadStateWord0(THREAD_STATE.BlockedOnSend, 0x1230), F.threadStateWord1(5, true, true, true));
    F.setThreadStateSimpleWords(k, T, THREAD_STATE.Running);
    expect(F.getThreadStateType(k, T)).toBe(THREAD_STATE.Running);
    expect(F.getBlockingObject(k, T)).toBe(0);
    expect(F.getBlockingIPCBadge(k, T)).toBe(0);
  });

  it('rejects values that do not fit their field', () => {
    expect(() => F.threadStateWord0(16, 0)).toThrow();
    expect(() => F.threadStateWord0(1, 0x1231)).toThrow();
    expect(() => F.threadStateWord1(0x10000000, false, false, false)).toThrow();
  });
});

describe('registers, fault, links, priority, flags', () => {
  test.prop([fc.array(u32, { minLength: N_USER_REGISTERS, maxLength: N_USER_REGISTERS })], { seed: SEED })(
    'registers round trip independently',
    (vals) => {
      const k = kernel();
      vals.forEach((v, r) => F.setRegister(k, T, r, v));
      vals.forEach((v, r) => expect(F.getRegister(k, T, r)).toBe(v));
      expect(F.getThreadStateType(k, T)).toBe(0);
    },
  );

  test.prop([fc.integer({ min: 0, max: 15 }), fc.boolean(), fc.boolean(), u32, u32, u32], { seed: SEED })(
    'fault words round trip',
    (type, rp, ins, a, b, c) => {
      const k = kernel();
      F.setFaultWords(k, T, F.faultWord0(type, rp, ins), a, b, c);
      expect(F.getFaultType(k, T)).toBe(type);
      expect(F.getFaultInReceivePhase(k, T)).toBe(rp);
      expect(F.getFaultInstructionFault(k, T)).toBe(ins);
      expect([1, 2, 3].map((i) => F.getFaultWord(k, T, i))).toEqual([a, b, c]);
      F.clearFault(k, T);
      expect(F.getFaultType(k, T)).toBe(FAULT_TYPE.NullFault);
    },
  );

  test.prop([fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 63 })], { seed: SEED })(
    'lookup failure word round trip',
    (type, left, found) => {
      const w = F.lookupFailureWord(type, left, found);
      expect([F.lookupFailureType(w), F.lookupFailureBitsLeft(w), F.lookupFailureBitsFound(w)]).toEqual([type, left, found]);
    },
  );

  test.prop([fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.boolean()], { seed: SEED })(
    'priority, MCP and tcbQueued are independent',
    (p, m, q) => {
      const k = kernel();
      F.setPriorityField(k, T, p);
      F.setMCPField(k, T, m);
      F.setTcbQueued(k, T, q);
      F.setPriorityField(k, T, p);
      expect([F.getPriority(k, T), F.getMCP(k, T), F.getTcbQueued(k, T)]).toEqual([p, m, q]);
    },
  );

  it('plain words', () => {
    const k = kernel();
    const base = 0x00400000;
    F.setSchedNext(k, T, base);
    F.setSchedPrev(k, T, base + 0x200);
    F.setEpNext(k, T, base + 0x400);
    F.setEpPrev(k, T, base + 0x600);
    F.setBoundNotification(k, T, 0x1000);
    F.setTimeSlice(k, T, 5);
    F.setFaultHandler(k, T, 0xdead);
    F.setIPCBuffer(k, T, 0x10000);
    expect([F.getSchedNext(k, T), F.getSchedPrev(k, T), F.getEpNext(k, T), F.getEpPrev(k, T)]).toEqual([
      base, base + 0x200, base + 0x400, base + 0x600,
    ]);
    expect([F.getBoundNotification(k, T), F.getTimeSlice(k, T), F.getFaultHandler(k, T), F.getIPCBuffer(k, T)]).toEqual([
      0x1000, 5, 0xdead, 0x10000,
    ]);
    expect(LOOKUP_FAULT.GuardMismatch).toBe(3);
  });

  it('globals', () => {
    const k = kernel();
    F.setCurThread(k, T);
    F.setSchedulerAction(k, 1);
    expect(F.getCurThread(k)).toBe(T);
    expect(F.getSchedulerAction(k)).toBe(1);
    expect(F.getIdleThread(k)).toBe(0);
  });
});
