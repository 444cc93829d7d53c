// TCB invocations of the concrete kernel (seL4 src/object/tcb.c decodeTCBInvocation, decode*,
// invokeTCB_*), non-MCS, one domain. Decoders check in seL4's order and never write memory;
// performers cannot fail. SetSchedParams, SetFlags and every domain-cap invocation are
// IllegalOperation (docs/deviations/thread.md). Registers live in TCB memory.

import { LABEL } from '../../abi/invocations';
import { N_FRAME_REGISTERS, N_USER_REGISTERS, TLS_BASE_REGISTER, sanitiseRegister } from '../../abi/registers';
import type { Kernel } from '../model/state';
import type { Decoded, ExtraCap, InvocationArgs } from '../api/types';
import { illegalOperation, invalidCapability, ok, rangeError, truncatedMessage } from '../api/failures';
import {
  type Cap, CAP_TAG, capNtfnCanReceive, capNtfnPtr, capTCBPtr, capType, makeThreadCap, readCap,
} from './cap';
import { queueHead } from './endpoint';
import { cteDelete, cteInsert, slotCapLongRunningDelete } from './cnode';
import { deriveCap, sameObjectAs, updateCapData } from './objecttype';
import { NTFN_QUEUE, bindNotification, ntfnBoundTCB, unbindNotification } from './notification';
import { checkValidIPCBuffer, isValidVTableRoot } from '../kernel/vspace';
import { rescheduleRequired, restart, setMCPriority, setPriority, suspend } from '../kernel/thread';
import {
  TCB_CNODE_SLOT, type TCBCNodeSlot, getBoundNotification, getCurThread, getMCP, getRegister, setFaultHandler,
  setIPCBuffer, setRegister, tcbSlotAddr,
} from './tcb-fields';

/** A cap to install in a TCB slot and the slot it was derived from. */
export type CapSource = ExtraCap;

export type TCBInvocation =
  | { tag: 'Suspend'; thread: number }
  | { tag: 'Resume'; thread: number }
  | {
      tag: 'ThreadControl';
      thread: number;
      /** Slot of the invoked thread cap (null for the priority-only variants). */
      slot: number | null;
      /** Each field null = unchanged. */
      faultHandler: number | null;
      mcp: number | null;
      priority: number | null;
      cRoot: CapSource | null;
      vRoot: CapSource | null;
      /** frame null: the buffer slot is emptied (address 0). */
      ipcBuffer: { addr: number; frame: CapSource | null } | null;
    }
  | { tag: 'NotificationControl'; thread: number; ntfn: number | null }
  | { tag: 'WriteRegisters'; thread: number; resume: boolean; values: number[] }
  | { tag: 'ReadRegisters'; thread: number; suspend: boolean; count: number }
  | { tag: 'SetTLSBase'; thread: number; tlsBase: number }
  | {
      tag: 'CopyRegisters'; target: number; source: number;
      suspendSource: boolean; resumeTarget: boolean; transferFrame: boolean; transferInteger: boolean;
    };

type ThreadControl = Extract<TCBInvocation, { tag: 'ThreadControl' }>;

// spec: decodeTCBInvocation
export function decodeTCBInvocation(k: Kernel, args: InvocationArgs, cap: Cap, slot: number, thread: number): Decoded<TCBInvocation> {
  const target = capTCBPtr(cap);
  switch (args.label) {
    case LABEL.TCBReadRegisters: return decodeReadRegisters(args, target, thread);
    case LABEL.TCBWriteRegisters: return decodeWriteRegisters(args, target, thread);
    case LABEL.TCBCopyRegisters: return decodeCopyRegisters(args, target);
    case LABEL.TCBSuspend: return ok({ tag: 'Suspend', thread: target });
    case LABEL.TCBResume: return ok({ tag: 'Resume', thread: target });
    case LABEL.TCBConfigure: return decodeTCBConfigure(k, args, target, slot);
    case LABEL.TCBSetPriority: return decodeSetPriority(k, args, target);
    case LABEL.TCBSetMCPriority: return decodeSetMCPriority(k, args, target);
    case LABEL.TCBSetIPCBuffer: return decodeSetIPCBuffer(k, args, target, slot);
    case LABEL.TCBSetSpace: return decodeSetSpace(k, args, target, slot);
    case LABEL.TCBBindNotification: return decodeBindNotification(k, args, target);
    case LABEL.TCBUnbindNotification: return decodeUnbindNotification(k, target);
    case LABEL.TCBSetTLSBase: return decodeSetTLSBase(args, target);
    default: return illegalOperation(); // SetSchedParams, SetFlags: not in this configuration
  }
}

// spec: decodeDomainInvocation
export function decodeDomainInvocation(_k: Kernel, _args: InvocationArgs): Decoded<never> {
  return illegalOperation();
}

// spec: decodeReadRegisters
function decodeReadRegisters(args: InvocationArgs, target: number, thread: number): Decoded<TCBInvocation> {
  const w = args.words;
  if (w.length < 2) return truncatedMessage();
  const flags = w[0]!;
  const n = w[1]!;
  if (n < 1 || n > N_USER_REGISTERS) return rangeError(1, N_USER_REGISTERS);
  if (target === thread) return illegalOperation();
  return ok({ tag: 'ReadRegisters', thread: target, suspend: (flags & 1) !== 0, count: n });
}

// spec: decodeWriteRegisters
function decodeWriteRegisters(args: InvocationArgs, target: number, thread: number): Decoded<TCBInvocation> {
  const w = args.words;
  if (w.length < 2) return truncatedMessage();
  const flags = w[0]!;
  const count = w[1]!;
  if (w.length - 2 < count) return truncatedMessage();
  if (target === thread) return illegalOperation();
  const n = Math.min(count, N_USER_REGISTERS);
  return ok({ tag: 'WriteRegisters', thread: target, resume: (flags & 1) !== 0, values: w.slice(2, 2 + n) });
}

// spec: decodeCopyRegisters
function decodeCopyRegisters(args: InvocationArgs, target: number): Decoded<TCBInvocation> {
  if (args.words.length < 1 || args.extraCaps.length < 1) return truncatedMessage();
  const flags = args.words[0]!;
  const src = args.extraCaps[0]!.cap;
  if (capType(src) !== CAP_TAG.thread) return invalidCapability(1);
  return ok({
    tag: 'CopyRegisters', target, source: capTCBPtr(src),
    suspendSource: (flags & 1) !== 0, resumeTarget: (flags & 2) !== 0,
    transferFrame: (flags & 4) !== 0, transferInteger: (flags & 8) !== 0,
  });
}

// spec: decodeSetTLSBase
function decodeSetTLSBase(args: InvocationArgs, target: number): Decoded<TCBInvocation> {
  if (args.words.length < 1) return truncatedMessage();
  return ok({ tag: 'SetTLSBase', thread: target, tlsBase: args.words[0]! });
}

/** The IPC-buffer part of Configure and SetIPCBuffer. */
// spec: decodeBuffer
function decodeBuffer(k: Kernel, addr: number, src: CapSource): Decoded<{ addr: number; frame: CapSource | null }> {
  if (addr === 0) return ok({ addr, frame: null });
  const d = deriveCap(k, src.slot, src.cap);
  if (!d.ok) return d;
  const valid = checkValidIPCBuffer(addr, d.value);
  if (!valid.ok) return valid;
  return ok({ addr, frame: { cap: d.value, slot: src.slot } });
}

/** The space part of Configure and SetSpace (roots not long-running to delete; derived roots valid). */
// spec: decodeSpace
function decodeSpace(
  k: Kernel, target: number, cRoot: CapSource, cRootData: number, vRoot: CapSource, vRootData: number,
): Decoded<{ cRoot: CapSource; vRoot: CapSource }> {
  if (slotCapLongRunningDelete(k, tcbSlotAddr(target, TCB_CNODE_SLOT.cTable))
    || slotCapLongRunningDelete(k, tcbSlotAddr(target, TCB_CNODE_SLOT.vTable))) {
    return illegalOperation();
  }
  const cUpdated = cRootData !== 0 ? updateCapData(false, cRootData, cRoot.cap) : cRoot.cap;
  const cDerived = deriveCap(k, cRoot.slot, cUpdated);
  if (!cDerived.ok) return cDerived;
  if (capType(cDerived.value) !== CAP_TAG.cnode) return illegalOperation();
  const vUpdated = vRootData !== 0 ? updateCapData(false, vRootData, vRoot.cap) : vRoot.cap;
  const vDerived = deriveCap(k, vRoot.slot, vUpdated);
  if (!vDerived.ok) return vDerived;
  if (!isValidVTableRoot(vDerived.value)) return illegalOperation();
  return ok({ cRoot: { cap: cDerived.value, slot: cRoot.slot }, vRoot: { cap: vDerived.value, slot: vRoot.slot } });
}

// spec: threadControl
function threadControl(thread: number, slot: number | null): ThreadControl {
  return { tag: 'ThreadControl', thread, slot, faultHandler: null, mcp: null, priority: null, cRoot: null, vRoot: null, ipcBuffer: null };
}

// spec: decodeTCBConfigure
function decodeTCBConfigure(k: Kernel, args: InvocationArgs, target: number, slot: number): Decoded<TCBInvocation> {
  const w = args.words;
  const x = args.extraCaps;
  if (w.length < 4 || x.length < 3) return truncatedMessage();
  const buffer = decodeBuffer(k, w[3]!, x[2]!);
  if (!buffer.ok) return buffer;
  const space = decodeSpace(k, target, x[0]!, w[1]!, x[1]!, w[2]!);
  if (!space.ok) return space;
  const inv = threadControl(target, slot);
  inv.faultHandler = w[0]!;
  inv.cRoot = space.value.cRoot;
  inv.vRoot = space.value.vRoot;
  inv.ipcBuffer = buffer.value;
  return ok(inv);
}

/** SetPriority / SetMCPriority argument: word 0, checked against the authority's MCP (seL4 checkPrio). */
// spec: decodePrioArg
function decodePrioArg(k: Kernel, args: InvocationArgs): Decoded<number> {
  if (args.words.length < 1 || args.extraCaps.length < 1) return truncatedMessage();
  const value = args.words[0]!;
  const auth = args.extraCaps[0]!.cap;
  if (capType(auth) !== CAP_TAG.thread) return invalidCapability(1);
  const mcp = getMCP(k, capTCBPtr(auth));
  if (value > mcp) return rangeError(0, mcp);
  return ok(value);
}

// spec: decodeSetPriority
function decodeSetPriority(k: Kernel, args: InvocationArgs, target: number): Decoded<TCBInvocation> {
  const p = decodePrioArg(k, args);
  if (!p.ok) return p;
  const inv = threadControl(target, null);
  inv.priority = p.value;
  return ok(inv);
}

// spec: decodeSetMCPriority
function decodeSetMCPriority(k: Kernel, args: InvocationArgs, target: number): Decoded<TCBInvocation> {
  const p = decodePrioArg(k, args);
  if (!p.ok) return p;
  const inv = threadControl(target, null);
  inv.mcp = p.value;
  return ok(inv);
}

// spec: decodeSetIPCBuffer
function decodeSetIPCBuffer(k: Kernel, args: InvocationArgs, target: number, slot: number): Decoded<TCBInvocation> {
  if (args.words.length < 1 || args.extraCaps.length < 1) return truncatedMessage();
  const buffer = decodeBuffer(k, args.words[0]!, args.extraCaps[0]!);
  if (!buffer.ok) return buffer;
  const inv = threadControl(target, slot);
  inv.ipcBuffer = buffer.value;
  return ok(inv);
}

// spec: decodeSetSpace
function decodeSetSpace(k: Kernel, args: InvocationArgs, target: number, slot: number): Decoded<TCBInvocation> {
  const w = args.words;
  const x = args.extraCaps;
  if (w.length < 3 || x.length < 2) return truncatedMessage();
  const space = decodeSpace(k, target, x[0]!, w[1]!, x[1]!, w[2]!);
  if (!space.ok) return space;
  const inv = threadControl(target, slot);
  inv.faultHandler = w[0]!;
  inv.cRoot = space.value.cRoot;
  inv.vRoot = space.value.vRoot;
  return ok(inv);
}

// spec: decodeBindNotification
function decodeBindNotification(k: Kernel, args: InvocationArgs, target: number): Decoded<TCBInvocation> {
  if (args.extraCaps.length < 1) return truncatedMessage();
  if (getBoundNotification(k, target) !== 0) return illegalOperation();
  const ntfnCap = args.extraCaps[0]!.cap;
  if (capType(ntfnCap) !== CAP_TAG.notification) return illegalOperation();
  if (!capNtfnCanReceive(ntfnCap)) return illegalOperation();
  const ntfn = capNtfnPtr(ntfnCap);
  // waited on or bound already
  if (queueHead(k, ntfn, NTFN_QUEUE) !== 0 || ntfnBoundTCB(k, ntfn) !== 0) {
    return illegalOperation();
  }
  return ok({ tag: 'NotificationControl', thread: target, ntfn });
}

// spec: decodeUnbindNotification
function decodeUnbindNotification(k: Kernel, target: number): Decoded<TCBInvocation> {
  if (getBoundNotification(k, target) === 0) return illegalOperation();
  return ok({ tag: 'NotificationControl', thread: target, ntfn: null });
}

// spec: invokeTCB
export function invokeTCB(k: Kernel, inv: TCBInvocation, _thread: number): number[] | void {
  switch (inv.tag) {
    case 'Suspend': return suspend(k, inv.thread);
    case 'Resume': return restart(k, inv.thread);
    case 'ThreadControl': return invokeThreadControl(k, inv);
    case 'NotificationControl':
      return inv.ntfn === null ? unbindNotification(k, inv.thread) : bindNotification(k, inv.thread, inv.ntfn);
    case 'ReadRegisters': return invokeReadRegisters(k, inv);
    case 'WriteRegisters': return invokeWriteRegisters(k, inv);
    case 'CopyRegisters': return invokeCopyRegisters(k, inv);
    case 'SetTLSBase': return invokeSetTLSBase(k, inv);
    default: return assertNever(inv);
  }
}

function assertNever(x: never): never {
  throw new Error(`invokeTCB: unexpected invocation ${JSON.stringify(x)}`);
}

/** Replaces one TCB slot; the new cap goes in only if its source and the thread cap survived the deletion. */
// spec: installTCBCap
function installTCBCap(k: Kernel, target: number, threadCapSlot: number | null, index: TCBCNodeSlot, src: CapSource | null): void {
  const dest = tcbSlotAddr(target, index);
  cteDelete(k, dest, true);
  if (src === null || threadCapSlot === null) return;
  if (sameObjectAs(src.cap, readCap(k, src.slot)) && sameObjectAs(makeThreadCap(target), readCap(k, threadCapSlot))) {
    cteInsert(k, src.cap, src.slot, dest);
  }
}

// spec: invokeThreadControl
function invokeThreadControl(k: Kernel, i: ThreadControl): void {
  const t = i.thread;
  if (i.faultHandler !== null) setFaultHandler(k, t, i.faultHandler);
  if (i.mcp !== null) setMCPriority(k, t, i.mcp);
  if (i.cRoot !== null) installTCBCap(k, t, i.slot, TCB_CNODE_SLOT.cTable, i.cRoot);
  if (i.vRoot !== null) installTCBCap(k, t, i.slot, TCB_CNODE_SLOT.vTable, i.vRoot);
  if (i.ipcBuffer !== null) {
    setIPCBuffer(k, t, i.ipcBuffer.addr);
    installTCBCap(k, t, i.slot, TCB_CNODE_SLOT.buffer, i.ipcBuffer.frame);
    if (t === getCurThread(k)) rescheduleRequired(k);
  }
  if (i.priority !== null) setPriority(k, t, i.priority);
}

// spec: invokeReadRegisters
function invokeReadRegisters(k: Kernel, i: Extract<TCBInvocation, { tag: 'ReadRegisters' }>): number[] {
  if (i.suspend) suspend(k, i.thread);
  const out = new Array<number>(i.count);
  for (let r = 0; r < i.count; r++) out[r] = getRegister(k, i.thread, r);
  return out;
}

// spec: invokeWriteRegisters
function invokeWriteRegisters(k: Kernel, i: Extract<TCBInvocation, { tag: 'WriteRegisters' }>): void {
  for (let r = 0; r < i.values.length; r++) setRegister(k, i.thread, r, sanitiseRegister(r, i.values[r]!));
  if (i.resume) restart(k, i.thread);
  if (i.thread === getCurThread(k)) rescheduleRequired(k);
}

// spec: invokeCopyRegisters
function invokeCopyRegisters(k: Kernel, i: Extract<TCBInvocation, { tag: 'CopyRegisters' }>): void {
  if (i.suspendSource) suspend(k, i.source);
  if (i.resumeTarget) restart(k, i.target);
  if (i.transferFrame) copyRegs(k, i.source, i.target, 0, N_FRAME_REGISTERS);
  if (i.transferInteger) copyRegs(k, i.source, i.target, N_FRAME_REGISTERS, N_USER_REGISTERS);
  if (i.target === getCurThread(k)) rescheduleRequired(k);
}

function copyRegs(k: Kernel, src: number, dest: number, from: number, to: number): void {
  for (let r = from; r < to; r++) setRegister(k, dest, r, getRegister(k, src, r));
}

// spec: invokeSetTLSBase
function invokeSetTLSBase(k: Kernel, i: Extract<TCBInvocation, { tag: 'SetTLSBase' }>): void {
  setRegister(k, i.thread, TLS_BASE_REGISTER, i.tlsBase);
  // the caller's own: seL4 reschedules so that the register is reloaded
  if (i.thread === getCurThread(k)) rescheduleRequired(k);
}
