// TCB invocations of the concrete kernel on a booted kernel: decoders check in seL4's order and
// write nothing; performers move registers through TCB memory (sanitised on writes) and drive the
// scheduler.

import { beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { LABEL } from '../../../../abi/invocations';
import { N_USER_REGISTERS, REG } from '../../../../abi/registers';
import { SCHED_ACTION } from '../../../../impl/model/state';
import { bootKernel } from '../../../../impl/kernel/boot';
import type { Kernel } from '../../../../impl/model/state';
import type { InvocationArgs } from '../../../../impl/api/types';
import { type Cap, capCNodePtr, makeNotificationCap, makeThreadCap, readCap, writeCap, RIGHT_READ, RIGHT_WRITE } from '../../../../impl/object/cap';
import { createObject } from '../../../../impl/object/objecttype';
import { THREAD_STATE } from '../../../../impl/object/structures';
import { decodeDomainInvocation, decodeTCBInvocation, invokeTCB } from '../../../../impl/object/tcb';
import * as F from '../../../../impl/object/tcb-fields';
import { readyQueueHead } from '../../../../impl/kernel/thread';

const WORKER = 0x00f00000;
const NTFN = 0x00f01000;

let k: Kernel;
let root: number;
let rootCNode: number;
let workerCap: Cap;
let rootCap: Cap;
const WORKER_SLOT = 40;

function args(label: number, words: number[], extraCaps: Cap[] = []): InvocationArgs {
  return { label, words, extraCaps: extraCaps.map((cap, i) => ({ cap, slot: rootCNode + 16 * (50 + i) })) };
}

/** Decodes (checking that decoding stores nothing) and returns the result. */
function decode(a: InvocationArgs, cap = workerCap) {
  const stores = k.m.counters.stores;
  const r = decodeTCBInvocation(k, a, cap, rootCNode + 16 * WORKER_SLOT, root);
  expect(k.m.counters.stores).toBe(stores);
  return r;
}

function run(a: InvocationArgs, cap = workerCap): number[] | void {
  const r = decode(a, cap);
  if (!r.ok) throw new Error(`decode failed: ${JSON.stringify(r.error)}`);
  return invokeTCB(k, r.value, root);
}

beforeEach(() => {
  k = bootKernel(defaultConfig());
  root = F.getCurThread(k);
  rootCNode = capCNodePtr(readCap(k, F.tcbSlotAddr(root, F.TCB_CNODE_SLOT.cTable)));
  workerCap = createObject(k, 'TCB', WORKER, 0);
  writeCap(k, rootCNode + 16 * WORKER_SLOT, workerCap);
  rootCap = makeThreadCap(root);
});

describe('register invocations', () => {
  it('ReadRegisters: truncated, range, self, then the first n registers', () => {
    expect(decode(args(LABEL.TCBReadRegisters, [0]))).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    expect(decode(args(LABEL.TCBReadRegisters, [0, 0]))).toEqual({ ok: false, error: { tag: 'RangeError', min: 1, max: 19 } });
    expect(decode(args(LABEL.TCBReadRegisters, [0, 20]))).toEqual({ ok: false, error: { tag: 'RangeError', min: 1, max: 19 } });
    expect(decode(args(LABEL.TCBReadRegisters, [0, 1]), rootCap)).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    for (let r = 0; r < N_USER_REGISTERS; r++) F.setRegister(k, WORKER, r, 100 + r);
    expect(run(args(LABEL.TCBReadRegisters, [0, 3]))).toEqual([100, 101, 102]);
    expect(run(args(LABEL.TCBReadRegisters, [0, 19]))).toEqual(Array.from({ length: 19 }, (_, r) => 100 + r));
  });

  it('WriteRegisters: truncated, self, sanitised CPSR, resume', () => {
    expect(decode(args(LABEL.TCBWriteRegisters, [0, 3, 1, 2]))).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    expect(decode(args(LABEL.TCBWriteRegisters, [0, 0]), rootCap)).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    run(args(LABEL.TCBWriteRegisters, [1, 3, 0x1000, 0x2000, 0xffffffff]));
    expect(F.getRegister(k, WORKER, REG.pc)).toBe(0x1000);
    expect(F.getRegister(k, WORKER, REG.sp)).toBe(0x2000);
    expect(F.getRegister(k, WORKER, REG.cpsr)).toBe(0xf8000150);
    expect(F.getThreadStateType(k, WORKER)).toBe(THREAD_STATE.Restart);
    expect(readyQueueHead(k, 0)).toBe(WORKER);
    const regs = Array.from({ length: 30 }, (_, r) => 0x500 + r);
    expect(decode(args(LABEL.TCBWriteRegisters, [0, 19, ...regs.slice(0, 18)]))).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    run(args(LABEL.TCBWriteRegisters, [0, 30, ...regs])); // a count beyond 19 writes 19
    expect([F.getRegister(k, WORKER, REG.tpidrurw), F.getRegister(k, WORKER, REG.tpidruro)]).toEqual([0x500 + 17, 0x500 + 18]);
      });

  it('SetTLSBase: truncated, then TPIDRURW of any thread; on the caller the scheduler chooses again', () => {
    expect(decode(args(LABEL.TCBSetTLSBase, []))).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    const before = Array.from({ length: N_USER_REGISTERS }, (_, r) => F.getRegister(k, WORKER, r));
    run(args(LABEL.TCBSetTLSBase, [0xc0ffee00]));
    const after = Array.from({ length: N_USER_REGISTERS }, (_, r) => F.getRegister(k, WORKER, r));
    before[REG.tpidrurw] = 0xc0ffee00;
    expect(after).toEqual(before);
    expect(F.getSchedulerAction(k)).toBe(SCHED_ACTION.ResumeCurrentThread);
    run(args(LABEL.TCBSetTLSBase, [7]), rootCap);
    expect(F.getRegister(k, root, REG.tpidrurw)).toBe(7);
    expect(F.getSchedulerAction(k)).toBe(SCHED_ACTION.ChooseNewThread);
  });

  it('CopyRegisters: the source must be a thread cap; frame and integer sets separately', () => {
    expect(decode(args(LABEL.TCBCopyRegisters, [4]))).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    expect(decode(args(LABEL.TCBCopyRegisters, [4], [makeNotificationCap(NTFN, 0, RIGHT_READ)]))).toEqual({
      ok: false, error: { tag: 'InvalidCapability', argument: 1 },
    });
    for (let r = 0; r < N_USER_REGISTERS; r++) F.setRegister(k, root, r, 7 + r);
    run(args(LABEL.TCBCopyRegisters, [4], [rootCap]));
    expect(F.getRegister(k, WORKER, REG.pc)).toBe(7 + REG.pc);
    expect(F.getRegister(k, WORKER, REG.r2)).toBe(0);
    expect(F.getRegister(k, WORKER, REG.tpidrurw)).toBe(0);
    run(args(LABEL.TCBCopyRegisters, [8], [rootCap]));
    expect(F.getRegister(k, WORKER, REG.r2)).toBe(7 + REG.r2);
    expect(F.getRegister(k, WORKER, REG.tpidrurw)).toBe(7 + REG.tpidrurw);
    expect(F.getRegister(k, WORKER, REG.tpidruro)).toBe(7 + REG.tpidruro);
  });
});

describe('priorities', () => {
  it('SetPriority / SetMCPriority check against the authority MCP', () => {
    expect(decode(args(LABEL.TCBSetPriority, [1]))).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    expect(decode(args(LABEL.TCBSetPriority, [1], [makeNotificationCap(NTFN, 0, RIGHT_READ)]))).toEqual({
      ok: false, error: { tag: 'InvalidCapability', argument: 1 },
    });
    expect(decode(args(LABEL.TCBSetPriority, [256], [rootCap]))).toEqual({ ok: false, error: { tag: 'RangeError', min: 0, max: 255 } });
    run(args(LABEL.TCBSetMCPriority, [50], [rootCap]));
    expect(F.getMCP(k, WORKER)).toBe(50);
    expect(decode(args(LABEL.TCBSetPriority, [51], [workerCap]))).toEqual({ ok: false, error: { tag: 'RangeError', min: 0, max: 50 } });
    run(args(LABEL.TCBSetPriority, [50], [workerCap]));
    expect(F.getPriority(k, WORKER)).toBe(50);
  });
});

describe('notifications, domain, other labels', () => {
  it('Bind / Unbind', () => {
    createObject(k, 'Notification', NTFN, 0);
    expect(decode(args(LABEL.TCBUnbindNotification, []))).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    expect(decode(args(LABEL.TCBBindNotification, []))).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    expect(decode(args(LABEL.TCBBindNotification, [], [rootCap]))).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    expect(decode(args(LABEL.TCBBindNotification, [], [makeNotificationCap(NTFN, 0, RIGHT_WRITE)]))).toEqual({
      ok: false, error: { tag: 'IllegalOperation' },
    });
    run(args(LABEL.TCBBindNotification, [], [makeNotificationCap(NTFN, 0, RIGHT_READ)]));
    expect(F.getBoundNotification(k, WORKER)).toBe(NTFN);
    expect(decode(args(LABEL.TCBBindNotification, [], [makeNotificationCap(NTFN, 0, RIGHT_READ)]))).toEqual({
      ok: false, error: { tag: 'IllegalOperation' },
    });
    // the notification is bound: another thread may not bind it either
    expect(decode(args(LABEL.TCBBindNotification, [], [makeNotificationCap(NTFN, 0, RIGHT_READ)]), rootCap)).toEqual({
      ok: false, error: { tag: 'IllegalOperation' },
    });
    run(args(LABEL.TCBUnbindNotification, []));
    expect(F.getBoundNotification(k, WORKER)).toBe(0);
  });

  it('labels of other configurations and the domain cap are illegal', () => {
    for (const l of [LABEL.TCBSetSchedParams, LABEL.TCBSetFlags, LABEL.CNodeCopy]) {
      expect(decode(args(l, [0, 0, 0, 0], [rootCap, rootCap]))).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    }
    expect(decodeDomainInvocation(k, args(LABEL.DomainSetSet, [0]))).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
  });

  it('Suspend and Resume', () => {
    run(args(LABEL.TCBResume, []));
    expect(F.getThreadStateType(k, WORKER)).toBe(THREAD_STATE.Restart);
    run(args(LABEL.TCBSuspend, []));
    expect(F.getThreadStateType(k, WORKER)).toBe(THREAD_STATE.Inactive);
    expect(F.getTcbQueued(k, WORKER)).toBe(false);
  });
});
