// TCB invocations (seL4 src/object/tcb.c decodeTCBInvocation, decode*/invokeTCB_*; l4v
// Tcb_A.thy, SEL4/Object/TCB.lhs), non-MCS, one domain, no debug API. Decoders check the
// arguments in seL4's order and return seL4's error; performers cannot fail. Invocations of
// other configurations (SetSchedParams, SetFlags) give IllegalOperation
// (docs/deviations/thread.md), as does every invocation of the domain cap.

import { match } from 'ts-pattern';
import { LABEL } from '../../abi/invocations';
import { N_FRAME_REGISTERS, N_USER_REGISTERS, TLS_BASE_REGISTER, sanitiseRegister } from '../../abi/registers';
import type { KernelState } from '../model/state';
import { readCTE, getObject, getTCB, tcbSlot } from '../model/state';
import type { Cap, CapOf, Decoded, InvocationArgs, PPtr } from '../api/types';
import { err, ok } from '../api/failures';
import { TCB_SLOT } from './structures';
import { cteDelete, cteInsert, slotCapLongRunningDelete } from './cnode';
import { deriveCap, sameObjectAs, updateCapData } from './objecttype';
import { bindNotification, unbindNotification } from './notification';
import { checkValidIPCBuffer, isValidVTableRoot } from '../kernel/vspace';
import { rescheduleRequired, restart, setMCPriority, setPriority, suspend } from '../kernel/thread';

/** A cap to install in a TCB slot and the slot it was derived from. */
export interface CapSource {
  cap: Cap;
  slot: PPtr;
}

/** l4v SEL4/API/Invocation.lhs TCBInvocation (the variants of this configuration). */
export type TCBInvocation =
  | { tag: 'Suspend'; thread: PPtr }
  | { tag: 'Resume'; thread: PPtr }
  | {
      tag: 'ThreadControl';
      thread: PPtr;
      /** The slot of the invoked thread cap (null for the priority-only variants). */
      slot: PPtr | null;
      /** Each field null = left unchanged. */
      faultHandler: number | null;
      mcp: number | null;
      priority: number | null;
      cRoot: CapSource | null;
      vRoot: CapSource | null;
      /** frame null: the buffer slot is emptied (address 0). */
      ipcBuffer: { addr: number; frame: CapSource | null } | null;
    }
  | { tag: 'NotificationControl'; thread: PPtr; ntfn: PPtr | null }
  | { tag: 'WriteRegisters'; thread: PPtr; resume: boolean; values: number[] }
  | { tag: 'ReadRegisters'; thread: PPtr; suspend: boolean; count: number }
  | { tag: 'SetTLSBase'; thread: PPtr; tlsBase: number }
  | {
      tag: 'CopyRegisters'; target: PPtr; source: PPtr;
      suspendSource: boolean; resumeTarget: boolean; transferFrame: boolean; transferInteger: boolean;
    };

type TCBSlotIndex = (typeof TCB_SLOT)[keyof typeof TCB_SLOT];

const truncated = () => err({ tag: 'TruncatedMessage' as const });
const illegal = () => err({ tag: 'IllegalOperation' as const });

/** Dispatch on the label (seL4 decodeTCBInvocation). Never changes state. */
export function decodeTCBInvocation(
  s: KernelState, args: InvocationArgs, cap: CapOf<'ThreadCap'>, slot: PPtr, thread: PPtr,
): Decoded<TCBInvocation> {
  switch (args.label) {
    case LABEL.TCBReadRegisters: return decodeReadRegisters(args, cap, thread);
    case LABEL.TCBWriteRegisters: return decodeWriteRegisters(args, cap, thread);
    case LABEL.TCBCopyRegisters: return decodeCopyRegisters(args, cap);
    case LABEL.TCBSuspend: return ok({ tag: 'Suspend', thread: cap.ptr });
    case LABEL.TCBResume: return ok({ tag: 'Resume', thread: cap.ptr });
    case LABEL.TCBConfigure: return decodeTCBConfigure(s, args, cap, slot);
    case LABEL.TCBSetPriority: return decodeSetPriority(s, args, cap);
    case LABEL.TCBSetMCPriority: return decodeSetMCPriority(s, args, cap);
    case LABEL.TCBSetIPCBuffer: return decodeSetIPCBuffer(s, args, cap, slot);
    case LABEL.TCBSetSpace: return decodeSetSpace(s, args, cap, slot);
    case LABEL.TCBBindNotification: return decodeBindNotification(s, args, cap);
    case LABEL.TCBUnbindNotification: return decodeUnbindNotification(s, cap);
    case LABEL.TCBSetTLSBase: return decodeSetTLSBase(args, cap);
    default: return illegal(); // includes SetSchedParams, SetFlags (not modelled)
  }
}

/** The domain cap (root slot 11): domains are not modelled, every invocation is illegal. */
export function decodeDomainInvocation(_s: KernelState, _args: InvocationArgs): Decoded<never> {
  return illegal();
}

/** ReadRegisters: word 0 flags (bit 0 suspend source, bits 8..15 arch flags, ignored on ARM), word 1 count. */
function decodeReadRegisters(args: InvocationArgs, cap: CapOf<'ThreadCap'>, thread: PPtr): Decoded<TCBInvocation> {
  const w = args.words;
  if (w.length < 2) return truncated();
  const flags = w[0];
  const n = w[1];
  if (n < 1 || n > N_USER_REGISTERS) return err({ tag: 'RangeError', min: 1, max: N_USER_REGISTERS });
  if (cap.ptr === thread) return illegal();
  return ok({ tag: 'ReadRegisters', thread: cap.ptr, suspend: (flags & 1) !== 0, count: n });
}

/** WriteRegisters: word 0 flags (bit 0 resume target), word 1 count, then the registers. */
function decodeWriteRegisters(args: InvocationArgs, cap: CapOf<'ThreadCap'>, thread: PPtr): Decoded<TCBInvocation> {
  const w = args.words;
  if (w.length < 2) return truncated();
  const flags = w[0];
  const count = w[1];
  if (w.length - 2 < count) return truncated();
  if (cap.ptr === thread) return illegal();
  const n = Math.min(count, N_USER_REGISTERS);
  return ok({ tag: 'WriteRegisters', thread: cap.ptr, resume: (flags & 1) !== 0, values: w.slice(2, 2 + n) });
}

/** CopyRegisters: word 0 flags (bits 0..3 suspend source, resume target, frame, integer), extra cap 0 the source. */
function decodeCopyRegisters(args: InvocationArgs, cap: CapOf<'ThreadCap'>): Decoded<TCBInvocation> {
  if (args.words.length < 1 || args.extraCaps.length < 1) return truncated();
  const flags = args.words[0];
  const src = args.extraCaps[0].cap;
  if (src.tag !== 'ThreadCap') return err({ tag: 'InvalidCapability', argument: 1 });
  return ok({
    tag: 'CopyRegisters', target: cap.ptr, source: src.ptr,
    suspendSource: (flags & 1) !== 0, resumeTarget: (flags & 2) !== 0,
    transferFrame: (flags & 4) !== 0, transferInteger: (flags & 8) !== 0,
  });
}

/** SetTLSBase: word 0 the new TLS base; any thread, the caller included. */
function decodeSetTLSBase(args: InvocationArgs, cap: CapOf<'ThreadCap'>): Decoded<TCBInvocation> {
  if (args.words.length < 1) return truncated();
  return ok({ tag: 'SetTLSBase', thread: cap.ptr, tlsBase: args.words[0] });
}

/**
 * The IPC-buffer part of Configure and SetIPCBuffer: with a non-zero address the frame cap is
 * derived and must be a frame cap at a 512-byte aligned address.
 */
function decodeBuffer(s: KernelState, addr: number, src: CapSource): Decoded<{ addr: number; frame: CapSource | null }> {
  if (addr === 0) return ok({ addr, frame: null });
  const d = deriveCap(s, src.slot, src.cap);
  if (!d.ok) return d;
  const valid = checkValidIPCBuffer(addr, d.value);
  if (!valid.ok) return valid;
  return ok({ addr, frame: { cap: d.value, slot: src.slot } });
}

/**
 * The space part of Configure and SetSpace: neither root of the target may hold a final cap
 * whose deletion would run long (seL4 slotCapLongRunningDelete); the CNode cap, with its guard
 * data applied, must derive to a CNode cap and the page-directory cap to a valid VSpace root.
 */
function decodeSpace(
  s: KernelState, target: PPtr, cRoot: CapSource, cRootData: number, vRoot: CapSource, vRootData: number,
): Decoded<{ cRoot: CapSource; vRoot: CapSource }> {
  if (slotCapLongRunningDelete(s, tcbSlot(target, TCB_SLOT.cTable)) || slotCapLongRunningDelete(s, tcbSlot(target, TCB_SLOT.vTable))) {
    return illegal();
  }
  const cUpdated = cRootData !== 0 ? updateCapData(false, cRootData, cRoot.cap) : cRoot.cap;
  const cDerived = deriveCap(s, cRoot.slot, cUpdated);
  if (!cDerived.ok) return cDerived;
  if (cDerived.value.tag !== 'CNodeCap') return illegal();
  const vUpdated = vRootData !== 0 ? updateCapData(false, vRootData, vRoot.cap) : vRoot.cap;
  const vDerived = deriveCap(s, vRoot.slot, vUpdated);
  if (!vDerived.ok) return vDerived;
  if (!isValidVTableRoot(vDerived.value)) return illegal();
  return ok({ cRoot: { cap: cDerived.value, slot: cRoot.slot }, vRoot: { cap: vDerived.value, slot: vRoot.slot } });
}

function threadControl(thread: PPtr, slot: PPtr | null): Extract<TCBInvocation, { tag: 'ThreadControl' }> {
  return { tag: 'ThreadControl', thread, slot, faultHandler: null, mcp: null, priority: null, cRoot: null, vRoot: null, ipcBuffer: null };
}

/** Configure: words faultEP, cRootData, vRootData, buffer; extra caps cRoot, vRoot, buffer frame. */
function decodeTCBConfigure(s: KernelState, args: InvocationArgs, cap: CapOf<'ThreadCap'>, slot: PPtr): Decoded<TCBInvocation> {
  const w = args.words;
  if (w.length < 4 || args.extraCaps.length < 3) return truncated();
  const [faultEP, cRootData, vRootData, bufferAddr] = w;
  const [cRoot, vRoot, bufferFrame] = args.extraCaps;
  const buffer = decodeBuffer(s, bufferAddr, bufferFrame);
  if (!buffer.ok) return buffer;
  const space = decodeSpace(s, cap.ptr, cRoot, cRootData, vRoot, vRootData);
  if (!space.ok) return space;
  return ok({ ...threadControl(cap.ptr, slot), faultHandler: faultEP, ...space.value, ipcBuffer: buffer.value });
}

/** seL4 checkPrio: a priority (or MCP) may not exceed the authority's MCP. */
function checkPrio(s: KernelState, prio: number, auth: PPtr): Decoded<void> {
  const mcp = getTCB(s, auth).mcp;
  return prio > mcp ? err({ tag: 'RangeError', min: 0, max: mcp }) : ok(undefined);
}

/** SetPriority / SetMCPriority: word 0 the value, extra cap 0 the authority TCB. */
function decodePrioArg(s: KernelState, args: InvocationArgs): Decoded<number> {
  if (args.words.length < 1 || args.extraCaps.length < 1) return truncated();
  const value = args.words[0];
  const auth = args.extraCaps[0].cap;
  if (auth.tag !== 'ThreadCap') return err({ tag: 'InvalidCapability', argument: 1 });
  const checked = checkPrio(s, value, auth.ptr);
  return checked.ok ? ok(value) : checked;
}

function decodeSetPriority(s: KernelState, args: InvocationArgs, cap: CapOf<'ThreadCap'>): Decoded<TCBInvocation> {
  const p = decodePrioArg(s, args);
  return p.ok ? ok({ ...threadControl(cap.ptr, null), priority: p.value }) : p;
}

function decodeSetMCPriority(s: KernelState, args: InvocationArgs, cap: CapOf<'ThreadCap'>): Decoded<TCBInvocation> {
  const p = decodePrioArg(s, args);
  return p.ok ? ok({ ...threadControl(cap.ptr, null), mcp: p.value }) : p;
}

/** SetIPCBuffer: word 0 the buffer address, extra cap 0 the frame. */
function decodeSetIPCBuffer(s: KernelState, args: InvocationArgs, cap: CapOf<'ThreadCap'>, slot: PPtr): Decoded<TCBInvocation> {
  if (args.words.length < 1 || args.extraCaps.length < 1) return truncated();
  const buffer = decodeBuffer(s, args.words[0], args.extraCaps[0]);
  return buffer.ok ? ok({ ...threadControl(cap.ptr, slot), ipcBuffer: buffer.value }) : buffer;
}

/** SetSpace: words faultEP, cRootData, vRootData; extra caps cRoot, vRoot. */
function decodeSetSpace(s: KernelState, args: InvocationArgs, cap: CapOf<'ThreadCap'>, slot: PPtr): Decoded<TCBInvocation> {
  const w = args.words;
  if (w.length < 3 || args.extraCaps.length < 2) return truncated();
  const [faultEP, cRootData, vRootData] = w;
  const space = decodeSpace(s, cap.ptr, args.extraCaps[0], cRootData, args.extraCaps[1], vRootData);
  if (!space.ok) return space;
  return ok({ ...threadControl(cap.ptr, slot), faultHandler: faultEP, ...space.value });
}

/**
 * BindNotification: extra cap 0. The thread must be unbound, the cap a notification cap with
 * Read, and the notification neither bound nor waited on. Every refusal is IllegalOperation.
 */
function decodeBindNotification(s: KernelState, args: InvocationArgs, cap: CapOf<'ThreadCap'>): Decoded<TCBInvocation> {
  if (args.extraCaps.length < 1) return truncated();
  if (getTCB(s, cap.ptr).boundNotification !== null) return illegal();
  const ntfnCap = args.extraCaps[0].cap;
  if (ntfnCap.tag !== 'NotificationCap') return illegal();
  if (!ntfnCap.rights.read) return illegal();
  const ntfn = getObject(s, ntfnCap.ptr, 'Notification');
  if (ntfn.queue.length > 0 || ntfn.boundTCB !== null) return illegal();
  return ok({ tag: 'NotificationControl', thread: cap.ptr, ntfn: ntfnCap.ptr });
}

function decodeUnbindNotification(s: KernelState, cap: CapOf<'ThreadCap'>): Decoded<TCBInvocation> {
  if (getTCB(s, cap.ptr).boundNotification === null) return illegal();
  return ok({ tag: 'NotificationControl', thread: cap.ptr, ntfn: null });
}

/** Performs a decoded TCB invocation; ReadRegisters returns the words of the Call's reply. */
export function invokeTCB(s: KernelState, inv: TCBInvocation, _thread: PPtr): number[] | void {
  return match(inv)
    .with({ tag: 'Suspend' }, (i) => suspend(s, i.thread))
    .with({ tag: 'Resume' }, (i) => restart(s, i.thread))
    .with({ tag: 'ThreadControl' }, (i) => invokeThreadControl(s, i))
    .with({ tag: 'NotificationControl' }, (i) => (i.ntfn === null ? unbindNotification(s, i.thread) : bindNotification(s, i.thread, i.ntfn)))
    .with({ tag: 'ReadRegisters' }, (i) => invokeReadRegisters(s, i))
    .with({ tag: 'WriteRegisters' }, (i) => invokeWriteRegisters(s, i))
    .with({ tag: 'CopyRegisters' }, (i) => invokeCopyRegisters(s, i))
    .with({ tag: 'SetTLSBase' }, (i) => invokeSetTLSBase(s, i))
    .exhaustive();
}

/**
 * Replaces one TCB slot: the old cap is deleted, and the new one inserted as a child of its
 * source only if the source slot still holds that object and the invoked thread cap is still
 * in place (the deletion may have finalised either).
 */
function installTCBCap(s: KernelState, target: PPtr, threadCapSlot: PPtr | null, index: TCBSlotIndex, src: CapSource | null): void {
  const dest = tcbSlot(target, index);
  cteDelete(s, dest, true);
  if (src === null || threadCapSlot === null) return;
  const tCap: Cap = { tag: 'ThreadCap', ptr: target };
  if (sameObjectAs(src.cap, readCTE(s, src.slot).cap) && sameObjectAs(tCap, readCTE(s, threadCapSlot).cap)) {
    cteInsert(s, src.cap, src.slot, dest);
  }
}

/** seL4 invokeTCB_ThreadControl (non-MCS): the updates in seL4's order. */
function invokeThreadControl(s: KernelState, i: Extract<TCBInvocation, { tag: 'ThreadControl' }>): void {
  const t = i.thread;
  if (i.faultHandler !== null) getTCB(s, t).faultHandler = i.faultHandler;
  if (i.mcp !== null) setMCPriority(s, t, i.mcp);
  if (i.cRoot !== null) installTCBCap(s, t, i.slot, TCB_SLOT.cTable, i.cRoot);
  if (i.vRoot !== null) installTCBCap(s, t, i.slot, TCB_SLOT.vTable, i.vRoot);
  if (i.ipcBuffer !== null) {
    // seL4 sets the address after deleting the old buffer cap; the deletion does not read it.
    getTCB(s, t).ipcBuffer = i.ipcBuffer.addr;
    installTCBCap(s, t, i.slot, TCB_SLOT.buffer, i.ipcBuffer.frame);
    // The buffer of the running thread changed: seL4 reschedules to reload it.
    if (t === s.curThread) rescheduleRequired(s);
  }
  if (i.priority !== null) setPriority(s, t, i.priority);
}

/** ReadRegisters: optionally suspend the source, then its first `count` registers are the reply. */
function invokeReadRegisters(s: KernelState, i: Extract<TCBInvocation, { tag: 'ReadRegisters' }>): number[] {
  if (i.suspend) suspend(s, i.thread);
  return getTCB(s, i.thread).registers.slice(0, i.count);
}

/** WriteRegisters: sanitised values into the first registers, then optionally restart the thread. */
function invokeWriteRegisters(s: KernelState, i: Extract<TCBInvocation, { tag: 'WriteRegisters' }>): void {
  const regs = getTCB(s, i.thread).registers;
  i.values.forEach((v, r) => {
    regs[r] = sanitiseRegister(r, v);
  });
  if (i.resume) restart(s, i.thread);
  if (i.thread === s.curThread) rescheduleRequired(s);
}

/** CopyRegisters: optional suspend/restart, then the frame and/or integer registers, unsanitised. */
function invokeCopyRegisters(s: KernelState, i: Extract<TCBInvocation, { tag: 'CopyRegisters' }>): void {
  if (i.suspendSource) suspend(s, i.source);
  if (i.resumeTarget) restart(s, i.target);
  const src = getTCB(s, i.source).registers;
  const dest = getTCB(s, i.target).registers;
  const copy = (from: number, to: number) => {
    for (let r = from; r < to; r++) dest[r] = src[r];
  };
  if (i.transferFrame) copy(0, N_FRAME_REGISTERS);
  if (i.transferInteger) copy(N_FRAME_REGISTERS, N_USER_REGISTERS);
  if (i.target === s.curThread) rescheduleRequired(s);
}

/**
 * SetTLSBase (seL4 invokeSetTLSBase): the TLS register (TPIDRURW) takes the value unsanitised.
 * Setting the caller's own reschedules, as seL4 does to reload it; the caller goes back to the
 * head of its ready queue, so it keeps running unless a higher priority is ready.
 */
function invokeSetTLSBase(s: KernelState, i: Extract<TCBInvocation, { tag: 'SetTLSBase' }>): void {
  getTCB(s, i.thread).registers[TLS_BASE_REGISTER] = i.tlsBase >>> 0;
  if (i.thread === s.curThread) rescheduleRequired(s);
}
