// Outcome of each system call and invocation, for coverage matrices: which method/error and
// syscall/result cells a set of traces reaches, and which of the paths below it.

import type { KernelEvent } from '../abi/events';
import { type CapInterface, METHODS } from '../abi/invocations';
import { syscallOfWord } from '../abi/syscalls';
import type { KernelState } from '../spec';
import type { Cap, PPtr } from '../spec/api/types';
import { lookupCap, lookupTargetSlot } from '../spec/kernel/cspace';
import { getReceiveSlots } from '../spec/kernel/transfer';
import { lookupIPCBuffer } from '../spec/kernel/vspace';
import { cnodeSlot, tcbSlot } from '../spec/model/state';
import { TCB_SLOT } from '../spec/object/structures';
import { parentOf } from './invariants/capability';
import { stepChanges } from './invariants/changes';

/** The cap each invocation interface is decoded on (the matrix credits a method only on it). */
const INTERFACE_CAP: Record<CapInterface, Cap['tag']> = {
  Untyped: 'UntypedCap', TCB: 'ThreadCap', CNode: 'CNodeCap', IRQControl: 'IRQControlCap', IRQHandler: 'IRQHandlerCap',
  Frame: 'FrameCap', PageTable: 'PageTableCap', PageDirectory: 'PageDirectoryCap', ASIDControl: 'ASIDControlCap', ASIDPool: 'ASIDPoolCap',
};

/**
 * The row of the matrix an event belongs to: a method name when the invoked cap (looked up in the
 * caller's CSpace before the event) is of the method's interface — the table lists the errors of
 * that decoder — else the syscall's name; or the event kind.
 */
export function coverageRow(e: KernelEvent, before: KernelState): string {
  if (e.tag !== 'syscall') return e.tag;
  const syscall = syscallOfWord(e.number) ?? 'UnknownSyscall';
  if (!e.method || before.curThread === before.idleThread) return syscall;
  const found = lookupCap(before, before.curThread, e.cap);
  return found.ok && found.value.cap.tag === INTERFACE_CAP[METHODS[e.method].interface] ? e.method : syscall;
}

/** Whether two deliveries or faults are the same (a thread's record is copied whenever it changes). */
const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * The result of the event for the thread that made it: the seL4 error name of a kernel reply
 * (NoError for success), the fault it raised, or "done" when the kernel delivered nothing new to
 * it. What is left in the thread's record from an earlier event must not be credited to this one
 * (the record is copied whenever the thread changes), so a delivery or fault counts when it
 * differs from the one before — or, for a method row (`coverageRow`), when the record was written
 * and the caller is running: a Call on a kernel object always ends in the kernel's reply, and
 * successive replies are often identical (NoError).
 */
export function coverageOutcome(e: KernelEvent, before: KernelState, after: KernelState, row = coverageRow(e, before)): string {
  const caller = before.curThread;
  if (caller === before.idleThread) return 'skipped';
  const b = before.objects[caller];
  const a = after.objects[caller];
  if (b?.tag !== 'TCB' || a?.tag !== 'TCB') return 'done';
  if (a.fault !== null && !same(a.fault, b.fault)) return a.fault.tag;
  if (a.state.tag === 'Inactive' && b.state.tag !== 'Inactive') return 'Inactive';
  const error = a.delivered.error;
  if (error === undefined || a.delivered === b.delivered) return 'done';
  const replied = e.tag === 'syscall' && row === e.method && a.state.tag === 'Running';
  return replied || !same(a.delivered, b.delivered) ? error : 'done';
}

// ----- paths ------------------------------------------------------------------------------------
// Paths through the kernel that a method × result cell does not tell apart, each detected from
// the states before and after one step (docs/check.md "Paths"). The matrix holds them in the row
// PATH_ROW, one column per path.

/** The matrix row of the paths. */
export const PATH_ROW = 'path';

/** Each path's name and what it is. */
export const COVERAGE_PATHS = {
  'fastpath-replyrecv-bound-active': "ReplyRecv with the fastpath on, holding a reply cap, on an endpoint cap, while the caller's bound notification is Active (the fastpath must leave it to the slowpath, which delivers the notification)",
  'final-delete-queued-endpoint': 'a step deletes the last cap to an endpoint that had two or more threads queued (finalisation restarts them all)',
  'reduced-cap-used': 'a message syscall through an endpoint or notification cap with fewer rights than its CDT parent (minted or copied with reduced rights)',
  'revoke-two-generations': 'a CNode_Revoke that deletes a cap together with its CDT parent (two generations of descendants)',
  'mcp-not-priority': "TCB_SetPriority or SetMCPriority with the caller's own TCB as authority, its priority differing from its MCP, and a requested value on different sides of the two (only the MCP decides)",
  'fault-handler-lacks-rights': 'a fault whose handler cap is an endpoint cap without Write, or without both Grant and GrantReply: the thread becomes Inactive',
  'grantless-reply-caps': "a Reply or ReplyRecv carrying caps through a reply cap without Grant to a caller whose receive slot is set and empty (seL4 transfers no cap)",
  'page-table-unmapped-in-use': 'a PageTable_Unmap that unmaps a page table holding valid entries (the unmap must flush their translations)',
  'first-badged-copy-moved': 'a CNode_Move, Mutate or Rotate of a cap that is firstBadged but not revocable (a copy whose badged original was deleted: the only caps whose two MDB bits differ)',
  'badged-sibling-revoked': 'a CNode_Revoke of a badged endpoint or notification cap whose next CDT entry has the same object and badge but starts a badged subtree of its own (firstBadged), and survives',
  'retype-fills-last-slot': "an Untyped_Retype that puts a new cap in a CNode's last slot",
  'page-remapped': 'a Page_Map of a frame cap already mapped, at its own address, that rewrites its entries (a remap: new rights, the old translation flushed)',
  'zombie-created': 'a step leaves a Zombie cap that was not there before (a cyclic deletion: the last cap to a CNode or TCB inside an object being deleted)',
} as const;

export type CoveragePath = keyof typeof COVERAGE_PATHS;

const MESSAGE_SYSCALLS = new Set(['Send', 'NBSend', 'Call', 'Recv', 'NBRecv', 'ReplyRecv']);
const RECEIVE_SYSCALLS = new Set(['Recv', 'NBRecv', 'ReplyRecv']);

function rightsBits(cap: Cap): number {
  if (cap.tag !== 'EndpointCap' && cap.tag !== 'NotificationCap') return 0;
  const r = cap.rights;
  // A notification uses only Read and Write.
  return (r.read ? 1 : 0) | (r.write ? 2 : 0) | (cap.tag === 'EndpointCap' ? (r.grant ? 4 : 0) | (r.grantReply ? 8 : 0) : 0);
}

/** A strict subset of its CDT parent's rights (same object). */
function reducedRights(s: KernelState, slot: PPtr, cap: Cap): boolean {
  // A cap with every right has no fewer than its parent: no need to look for the parent.
  if (rightsBits(cap) === (cap.tag === 'EndpointCap' ? 15 : 3)) return false;
  const parent = parentOf(s, slot);
  if (parent === null) return false;
  const p = s.ctes[parent].cap;
  if (p.tag !== cap.tag || (p as { ptr?: PPtr }).ptr !== (cap as { ptr?: PPtr }).ptr) return false;
  const a = rightsBits(cap);
  const b = rightsBits(p);
  return (a & b) === a && a !== b;
}

function endpointCaps(s: KernelState, ep: PPtr): boolean {
  for (const k in s.ctes) {
    const c = s.ctes[k as unknown as PPtr].cap;
    if (c.tag === 'EndpointCap' && c.ptr === ep) return true;
  }
  return false;
}

/** Whether the caller's event raised a fault (a fault event, an unknown syscall, or a receive's cap fault). */
function raisedFault(e: KernelEvent, s: KernelState, t: PPtr): boolean {
  if (e.tag === 'load' || e.tag === 'store' || e.tag === 'exception') return true;
  if (e.tag !== 'syscall') return false;
  const sys = syscallOfWord(e.number);
  if (sys === undefined) return true;
  if (!MESSAGE_SYSCALLS.has(sys)) return false;
  const found = lookupCap(s, t, e.cap);
  if (!found.ok) return true;
  return RECEIVE_SYSCALLS.has(sys) && found.value.cap.tag !== 'EndpointCap' && found.value.cap.tag !== 'NotificationCap';
}

/** Whether `slot` is the last slot of a CNode object (the bound of a retype's slot range). */
function isLastSlotOfCNode(s: KernelState, slot: PPtr): boolean {
  for (const k in s.objects) {
    const o = s.objects[k as unknown as PPtr];
    if (o.tag === 'CNode' && cnodeSlot(Number(k), 2 ** o.radix - 1) === slot) return true;
  }
  return false;
}

/** Two badged caps to one endpoint or notification with one badge. */
function sameBadgedObject(a: Cap, b: Cap): boolean {
  return (a.tag === 'EndpointCap' || a.tag === 'NotificationCap') && a.tag === b.tag && a.ptr === (b as { ptr: PPtr }).ptr && a.badge !== 0 && a.badge === (b as { badge: number }).badge;
}

/** The paths one step took (usually none). */
export function coveragePaths(e: KernelEvent, before: KernelState, after: KernelState): CoveragePath[] {
  const out: CoveragePath[] = [];
  const t = before.curThread;
  const tcb = before.objects[t];
  if (t === before.idleThread || tcb?.tag !== 'TCB') return out;
  const sys = e.tag === 'syscall' ? syscallOfWord(e.number) : undefined;
  const used = e.tag === 'syscall' ? lookupCap(before, t, e.cap) : null;
  if (sys === 'ReplyRecv' && before.config.variant.fastpath && tcb.boundNotification !== null && used?.ok && used.value.cap.tag === 'EndpointCap') {
    const n = before.objects[tcb.boundNotification];
    const caller = before.ctes[tcbSlot(t, TCB_SLOT.caller)]?.cap;
    if (n?.tag === 'Notification' && n.state === 'Active' && caller?.tag === 'ReplyCap') out.push('fastpath-replyrecv-bound-active');
  }
  if (e.tag === 'syscall' && e.method === undefined && sys !== undefined && MESSAGE_SYSCALLS.has(sys) && used?.ok && reducedRights(before, used.value.slot, used.value.cap)) out.push('reduced-cap-used');
  if (after.objects !== before.objects || after.ctes !== before.ctes) {
    const c = stepChanges(before, after);
    for (const p of c.objects) {
      const b = before.objects[p];
      if (b?.tag === 'Endpoint' && b.queue.length >= 2 && after.objects[p]?.tag === 'Endpoint' && (after.objects[p] as { queue: PPtr[] }).queue.length === 0 && endpointCaps(before, p) && !endpointCaps(after, p)) {
        out.push('final-delete-queued-endpoint');
        break;
      }
    }
    if (e.tag === 'syscall' && e.method === 'CNode_Revoke') {
      const gone = new Set(c.slots.filter((x) => before.ctes[x] !== undefined && after.ctes[x] === undefined));
      for (const x of gone) {
        const p = parentOf(before, x);
        if (p !== null && gone.has(p)) {
          out.push('revoke-two-generations');
          break;
        }
      }
    }
    // A move keeps both MDB bits: a slot that was empty and now holds such a cap received it.
    if (e.tag === 'syscall' && /^CNode_(Move|Mutate|Rotate)$/.test(e.method ?? '') && c.slots.some((x) => before.ctes[x] === undefined && after.ctes[x]?.mdb.firstBadged && !after.ctes[x].mdb.revocable)) out.push('first-badged-copy-moved');
    if (e.tag === 'syscall' && e.method === 'Untyped_Retype' && c.slots.some((x) => before.ctes[x] === undefined && after.ctes[x] !== undefined && isLastSlotOfCNode(before, x))) out.push('retype-fills-last-slot');
    if (c.slots.some((x) => after.ctes[x]?.cap.tag === 'ZombieCap' && before.ctes[x]?.cap.tag !== 'ZombieCap')) out.push('zombie-created');
  }
  if (e.tag === 'syscall' && (e.method === 'TCB_SetPriority' || e.method === 'TCB_SetMCPriority') && used?.ok && used.value.cap.tag === 'ThreadCap' && e.extraCaps !== undefined && e.extraCaps.length > 0) {
    const auth = lookupCap(before, t, e.extraCaps[0]);
    const req = e.mrs[0];
    if (auth.ok && auth.value.cap.tag === 'ThreadCap' && auth.value.cap.ptr === t && tcb.priority !== tcb.mcp && req !== undefined && (req <= tcb.mcp) !== (req <= tcb.priority)) out.push('mcp-not-priority');
  }
  if ((sys === 'Reply' || sys === 'ReplyRecv') && e.tag === 'syscall' && e.extraCaps !== undefined && e.extraCaps.length > 0) {
    const reply = before.ctes[tcbSlot(t, TCB_SLOT.caller)]?.cap;
    const caller = reply?.tag === 'ReplyCap' ? before.objects[reply.tcb] : undefined;
    if (reply?.tag === 'ReplyCap' && !reply.canGrant && caller?.tag === 'TCB' && caller.state.tag === 'BlockedOnReply' && caller.fault === null
      && getReceiveSlots(before, reply.tcb, lookupIPCBuffer(before, true, reply.tcb)) !== null) out.push('grantless-reply-caps');
  }
  if (e.tag === 'syscall' && e.method === 'CNode_Revoke' && used?.ok && used.value.cap.tag === 'CNodeCap') {
    const slot = e.mrs.length >= 2 ? lookupTargetSlot(before, used.value.cap, e.mrs[0], e.mrs[1]) : null;
    const here = slot?.ok ? before.ctes[slot.value] : undefined;
    const next = here === undefined || here.mdb.next === 0 ? undefined : before.ctes[here.mdb.next];
    if (here !== undefined && next !== undefined && sameBadgedObject(here.cap, next.cap) && next.mdb.firstBadged && after.ctes[here.mdb.next]?.cap === next.cap) out.push('badged-sibling-revoked');
  }
  if (e.tag === 'syscall' && e.method === 'Page_Map' && used?.ok && used.value.cap.tag === 'FrameCap' && used.value.cap.mapped !== null && used.value.cap.mapped.vaddr === e.mrs[0]) {
    // The cap stays as it was; the entries the remap rewrites show that it succeeded.
    if (after.objects !== before.objects && stepChanges(before, after).objects.some((p) => /^Page(Table|Directory)$/.test(after.objects[p]?.tag ?? ''))) out.push('page-remapped');
  }
  if (e.tag === 'syscall' && e.method === 'PageTable_Unmap' && used?.ok && used.value.cap.tag === 'PageTableCap' && used.value.cap.mapped !== null) {
    const pt = before.objects[used.value.cap.ptr];
    const now = after.ctes[used.value.slot]?.cap;
    if (pt?.tag === 'PageTable' && Object.keys(pt.entries).length > 0 && now?.tag === 'PageTableCap' && now.mapped === null) out.push('page-table-unmapped-in-use');
  }
  const a = after.objects[t];
  if (a?.tag === 'TCB' && a.state.tag === 'Inactive' && tcb.state.tag !== 'Inactive' && raisedFault(e, before, t)) {
    const h = lookupCap(before, t, tcb.faultHandler);
    if (h.ok && h.value.cap.tag === 'EndpointCap' && (!h.value.cap.rights.write || !(h.value.cap.rights.grant || h.value.cap.rights.grantReply))) out.push('fault-handler-lacks-rights');
  }
  return out;
}
