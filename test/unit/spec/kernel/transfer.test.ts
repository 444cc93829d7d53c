import { describe, expect, it } from 'vitest';
import { IPC_BUFFER } from '../../../../abi/ipcbuffer';
import { wordFromMessageInfo } from '../../../../abi/messageinfo';
import { BADGE_REGISTER, MSG_INFO_REGISTER, MSG_REGISTERS } from '../../../../abi/registers';
import type { PPtr } from '../../../../spec/api/types';
import { type KernelState, getCTE, getTCB, tcbSlot } from '../../../../spec/model/state';
import { TCB_SLOT } from '../../../../spec/object/structures';
import {
  copyMRs,
  deleteCallerCap,
  doIPCTransfer,
  doReplyTransfer,
  getMessageWords,
  replyFromKernel,
  setupCallerCap,
} from '../../../../spec/kernel/transfer';
import { ADDR, SLOT, type World, addThread, bufWord, epCap, putCap, rootSlot, run, setBufWord, stateOf, world } from '../ipc-fixture';

/** Sets a thread's message: info word and MRs (registers, then its buffer from MR4 on). */
function setMessage(
  w: World,
  t: PPtr,
  frame: PPtr | null,
  info: { label?: number; length: number; extraCaps?: number },
  words: number[],
): void {
  const tcb = getTCB(w.s, t);
  tcb.registers[MSG_INFO_REGISTER] = wordFromMessageInfo({ label: info.label ?? 0, capsUnwrapped: 0, extraCaps: info.extraCaps ?? 0, length: info.length });
  words.forEach((v, i) => {
    if (i < 4) tcb.registers[MSG_REGISTERS[i]] = v;
    else if (frame !== null) setBufWord(w.s, frame, IPC_BUFFER.msg + i, v);
  });
}

function words(n: number, base: number): number[] {
  return Array.from({ length: n }, (_, i) => base + i);
}

describe('message registers', () => {
  it('copies registers and buffer words when both sides have a buffer', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbA, { name: 'a', frame: ADDR.frameA });
    const b = addThread(w, ADDR.tcbB, { name: 'b', frame: ADDR.frameB });
    setMessage(w, a, ADDR.frameA, { length: 10 }, words(10, 100));
    let n = 0;
    const s = run(w.s, (d) => {
      n = copyMRs(d, a, { frame: ADDR.frameA, offset: 0 }, b, { frame: ADDR.frameB, offset: 0 }, 10);
    });
    expect(n).toBe(10);
    expect(getMessageWords(s, b, { frame: ADDR.frameB, offset: 0 }, 10)).toEqual(words(10, 100));
  });

  it('truncates to the four registers when either side lacks a buffer', () => {
    for (const [fa, fb] of [[ADDR.frameA, null], [null, ADDR.frameB], [null, null]] as const) {
      const w = world();
      const a = addThread(w, ADDR.tcbA, { name: 'a', frame: fa ?? undefined });
      const b = addThread(w, ADDR.tcbB, { name: 'b', frame: fb ?? undefined });
      setMessage(w, a, fa, { length: 9 }, words(9, 1));
      const s = run(w.s, (d) => {
        getTCB(d, b).state = { tag: 'BlockedOnReceive', ep: ADDR.ep, canGrant: false };
        doIPCTransfer(d, a, ADDR.ep, 5, false, b);
      });
      expect(getTCB(s, b).delivered).toEqual({
        badge: 5,
        info: { label: 0, capsUnwrapped: 0, extraCaps: 0, length: 4 },
        mrs: [1, 2, 3, 4],
      });
    }
  });

  it('delivers badge, label and the words, and drops an earlier error', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbA, { name: 'a', frame: ADDR.frameA });
    const b = addThread(w, ADDR.tcbB, { name: 'b', frame: ADDR.frameB });
    getTCB(w.s, b).delivered = { badge: 0, error: 'IllegalOperation' };
    setMessage(w, a, ADDR.frameA, { label: 0xfffff, length: 6 }, words(6, 7));
    const s = run(w.s, (d) => doIPCTransfer(d, a, ADDR.ep, 0xdeadbeef, false, b));
    expect(getTCB(s, b).delivered).toEqual({
      badge: 0xdeadbeef,
      info: { label: 0xfffff, capsUnwrapped: 0, extraCaps: 0, length: 6 },
      mrs: words(6, 7),
    });
    expect(getTCB(s, b).registers[BADGE_REGISTER]).toBe(0xdeadbeef);
  });

  it('clamps a length above 120 to 120', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbA, { name: 'a', frame: ADDR.frameA });
    const b = addThread(w, ADDR.tcbB, { name: 'b', frame: ADDR.frameB });
    setMessage(w, a, ADDR.frameA, { length: 127 }, []);
    const s = run(w.s, (d) => doIPCTransfer(d, a, ADDR.ep, 0, false, b));
    expect(getTCB(s, b).delivered.info?.length).toBe(120);
  });
});

describe('cap transfer', () => {
  /** a sends through ep with extra caps named by cptrs; b receives into root slot SLOT.recv. */
  function transfer(w: World, cptrs: number[], grant: boolean, ep: PPtr | null = ADDR.ep): KernelState {
    const a = addThread(w, ADDR.tcbA, { name: 'a', frame: ADDR.frameA });
    const b = addThread(w, ADDR.tcbB, { name: 'b', frame: ADDR.frameB });
    setMessage(w, a, ADDR.frameA, { length: 1, extraCaps: cptrs.length }, [42]);
    cptrs.forEach((c, i) => setBufWord(w.s, ADDR.frameA, IPC_BUFFER.capsOrBadges + i, c));
    setBufWord(w.s, ADDR.frameB, IPC_BUFFER.receiveCNode, 2);
    setBufWord(w.s, ADDR.frameB, IPC_BUFFER.receiveIndex, SLOT.recv);
    setBufWord(w.s, ADDR.frameB, IPC_BUFFER.receiveDepth, 32);
    return run(w.s, (d) => doIPCTransfer(d, a, ep, 0, grant, b));
  }

  it('without Grant sends no caps', () => {
    const w = world();
    const s = transfer(w, [SLOT.ntfn], false);
    expect(getCTE(s, rootSlot(w, SLOT.recv)).cap.tag).toBe('NullCap');
    expect(getTCB(s, ADDR.tcbB).delivered.info).toEqual({ label: 0, capsUnwrapped: 0, extraCaps: 0, length: 1 });
  });

  it('with Grant derives the cap into the receive slot as a child of the source slot', () => {
    const w = world();
    const s = transfer(w, [SLOT.ntfn], true);
    const got = getCTE(s, rootSlot(w, SLOT.recv));
    expect(got.cap).toEqual(getCTE(s, rootSlot(w, SLOT.ntfn)).cap);
    expect(got.mdb.prev).toBe(rootSlot(w, SLOT.ntfn));
    expect(getTCB(s, ADDR.tcbB).delivered.info?.extraCaps).toBe(1);
  });

  it('unwraps caps to the very endpoint into badges, using no slot', () => {
    const w = world();
    putCap(w, SLOT.epBadged, epCap(ADDR.ep, 0x55));
    const s = transfer(w, [SLOT.epBadged, SLOT.ntfn, SLOT.ep], true);
    const info = getTCB(s, ADDR.tcbB).delivered.info;
    expect(info).toEqual({ label: 0, capsUnwrapped: 0b101, extraCaps: 3, length: 1 });
    expect(bufWord(s, ADDR.frameB, IPC_BUFFER.capsOrBadges)).toBe(0x55);
    expect(bufWord(s, ADDR.frameB, IPC_BUFFER.capsOrBadges + 2)).toBe(0);
    expect(getCTE(s, rootSlot(w, SLOT.recv)).cap.tag).toBe('NotificationCap');
  });

  it('a cap to another endpoint is transferred, not unwrapped', () => {
    const w = world();
    const s = transfer(w, [SLOT.ep2], true);
    expect(getTCB(s, ADDR.tcbB).delivered.info).toMatchObject({ capsUnwrapped: 0, extraCaps: 1 });
    expect(getCTE(s, rootSlot(w, SLOT.recv)).cap).toEqual(epCap(ADDR.ep2));
  });

  it('stops at the second cap needing a slot', () => {
    const w = world();
    const s = transfer(w, [SLOT.ntfn, SLOT.ep2, SLOT.ep], true);
    expect(getTCB(s, ADDR.tcbB).delivered.info).toMatchObject({ capsUnwrapped: 0, extraCaps: 1 });
  });

  it('an occupied receive slot takes no cap', () => {
    const w = world();
    putCap(w, SLOT.recv, epCap(ADDR.ep2));
    const s = transfer(w, [SLOT.ntfn], true);
    expect(getTCB(s, ADDR.tcbB).delivered.info?.extraCaps).toBe(0);
    expect(getCTE(s, rootSlot(w, SLOT.recv)).cap).toEqual(epCap(ADDR.ep2));
  });

  it('a null extra cap stops the transfer', () => {
    const w = world();
    const s = transfer(w, [SLOT.spare, SLOT.ntfn], true);
    expect(getTCB(s, ADDR.tcbB).delivered.info?.extraCaps).toBe(0);
  });

  it('an extra cap that fails to look up drops all caps, not the message', () => {
    const w = world();
    const s = transfer(w, [SLOT.ntfn, 0xffffffff], true);
    expect(getTCB(s, ADDR.tcbB).delivered).toMatchObject({ mrs: [42], info: { extraCaps: 0 } });
  });

  it('replies never unwrap', () => {
    const w = world();
    const s = transfer(w, [SLOT.ep], true, null);
    expect(getTCB(s, ADDR.tcbB).delivered.info).toMatchObject({ capsUnwrapped: 0, extraCaps: 1 });
  });
});

describe('reply caps', () => {
  function callPair(w: World, canGrant: boolean): KernelState {
    addThread(w, ADDR.tcbA, { name: 'a', state: { tag: 'Running' } });
    addThread(w, ADDR.tcbB, { name: 'b', state: { tag: 'Running' } });
    return run(w.s, (d) => setupCallerCap(d, ADDR.tcbA, ADDR.tcbB, canGrant));
  }

  it('setupCallerCap blocks the caller and puts a reply cap under its master', () => {
    const w = world();
    const s = callPair(w, true);
    expect(stateOf(s, ADDR.tcbA)).toBe('BlockedOnReply');
    const caller = getCTE(s, tcbSlot(ADDR.tcbB, TCB_SLOT.caller));
    expect(caller.cap).toEqual({ tag: 'ReplyCap', tcb: ADDR.tcbA, master: false, canGrant: true });
    expect(caller.mdb.prev).toBe(tcbSlot(ADDR.tcbA, TCB_SLOT.reply));
  });

  it('deleteCallerCap drops it and leaves the caller waiting', () => {
    const w = world();
    const s = run(callPair(w, false), (d) => deleteCallerCap(d, ADDR.tcbB));
    expect(getCTE(s, tcbSlot(ADDR.tcbB, TCB_SLOT.caller)).cap.tag).toBe('NullCap');
    expect(getCTE(s, tcbSlot(ADDR.tcbA, TCB_SLOT.reply)).mdb.next).toBe(0);
    expect(stateOf(s, ADDR.tcbA)).toBe('BlockedOnReply');
  });

  it('doReplyTransfer delivers with badge 0, consumes the cap and wakes the caller', () => {
    const w = world();
    const s0 = callPair(w, false);
    const s = run(s0, (d) => {
      const b = getTCB(d, ADDR.tcbB);
      b.registers[MSG_INFO_REGISTER] = wordFromMessageInfo({ label: 9, capsUnwrapped: 0, extraCaps: 0, length: 1 });
      b.registers[MSG_REGISTERS[0]] = 33;
      doReplyTransfer(d, ADDR.tcbB, ADDR.tcbA, tcbSlot(ADDR.tcbB, TCB_SLOT.caller), false);
    });
    expect(stateOf(s, ADDR.tcbA)).toBe('Running');
    expect(getTCB(s, ADDR.tcbA).delivered).toEqual({ badge: 0, info: { label: 9, capsUnwrapped: 0, extraCaps: 0, length: 1 }, mrs: [33] });
    expect(getCTE(s, tcbSlot(ADDR.tcbB, TCB_SLOT.caller)).cap.tag).toBe('NullCap');
  });
});

describe('replyFromKernel', () => {
  it('writes an error reply with its words and records the error name', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbA, { name: 'a', frame: ADDR.frameA });
    const s = run(w.s, (d) =>
      replyFromKernel(d, a, {
        ok: false,
        error: { tag: 'FailedLookup', source: true, failure: { tag: 'GuardMismatch', bitsLeft: 32, guardFound: 0, guardSize: 20 } },
      }),
    );
    expect(getTCB(s, a).delivered).toEqual({
      badge: 0,
      info: { label: 6, capsUnwrapped: 0, extraCaps: 0, length: 5 },
      mrs: [1, 4, 32, 0, 20],
      error: 'FailedLookup',
    });
  });

  it('cuts the words to four without a buffer', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbA, { name: 'a' });
    const s = run(w.s, (d) =>
      replyFromKernel(d, a, {
        ok: false,
        error: { tag: 'FailedLookup', source: false, failure: { tag: 'GuardMismatch', bitsLeft: 32, guardFound: 0, guardSize: 20 } },
      }),
    );
    expect(getTCB(s, a).delivered).toMatchObject({ info: { length: 4 }, mrs: [0, 4, 32, 0] });
  });

  it('an empty success reply', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbA, { name: 'a' });
    const s = run(w.s, (d) => replyFromKernel(d, a, { ok: true, words: [] }));
    expect(getTCB(s, a).delivered).toEqual({ badge: 0, info: { label: 0, capsUnwrapped: 0, extraCaps: 0, length: 0 }, mrs: [], error: 'NoError' });
  });

  it('error words for each error', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbA, { name: 'a' });
    const cases = [
      [{ tag: 'InvalidArgument', argument: 2 }, 1, [2]],
      [{ tag: 'InvalidCapability', argument: 1 }, 2, [1]],
      [{ tag: 'IllegalOperation' }, 3, []],
      [{ tag: 'RangeError', min: 1, max: 9 }, 4, [1, 9]],
      [{ tag: 'AlignmentError' }, 5, []],
      [{ tag: 'TruncatedMessage' }, 7, []],
      [{ tag: 'DeleteFirst' }, 8, []],
      [{ tag: 'RevokeFirst' }, 9, []],
      [{ tag: 'NotEnoughMemory', available: 64 }, 10, [64]],
    ] as const;
    for (const [error, label, mrs] of cases) {
      const s = run(w.s, (d) => replyFromKernel(d, a, { ok: false, error }));
      expect(getTCB(s, a).delivered).toMatchObject({ info: { label, length: mrs.length }, mrs, error: error.tag });
    }
  });
});
