// A CSpace resolver of the contracts' own, written from the manual's addressing rules (seL4
// reference manual §2.3 "CSpace Addressing": §2.3.1 "Capability Address Lookup", §2.3.2
// "Addressing Capabilities"), not from the spec's lookup code: the contracts must decide which
// slot an invocation names without asking the kernel they check.
//
// The rule: start at a CNode cap; its guard must equal the most significant guard bits of what is
// left of the address; the next radix bits index its slots. If that slot holds a CNode cap and
// bits are left, go on from it; otherwise the lookup ends at that slot. Only the `depth` least
// significant bits of the address take part.

import type { KernelState } from '../../spec';
import type { Cap, PPtr } from '../../spec/api/types';
import { TCB_SLOT } from '../../spec/object/structures';
import { syscallOfWord } from '../../abi/syscalls';
import { hex, threadName } from '../invariants/changes';
import type { StepContext } from '../invariants/types';
import type { EventContract } from './types';

export const SLOT_BYTES = 16;
const NULL: Cap = { tag: 'NullCap' };

export interface Resolved {
  slot: PPtr;
  cap: Cap;
  /** Address bits not translated when the lookup stopped at a slot without a CNode cap. */
  bitsLeft: number;
}

/** Bits [lo, lo+width) of a u32, for any width 0..32 (JS shifts are mod 32). */
function bitsOf(x: number, lo: number, width: number): number {
  if (width === 0) return 0;
  return Math.floor((x >>> 0) / 2 ** lo) % 2 ** width;
}

/** The cap a slot holds in a state (absent slots hold the null cap). */
export function capAt(s: KernelState, slot: PPtr): Cap {
  return s.ctes[slot]?.cap ?? NULL;
}

/**
 * Resolves `cptr` with `depth` bits from the CNode cap `root`. `exact`: the address must be used
 * up (a slot named for a CNode method, with its depth limit); otherwise (an invoked cap, depth 32)
 * the lookup may stop early at a slot without a CNode cap. Null when the lookup fails.
 */
export function resolve(s: KernelState, root: Cap, cptr: number, depth: number, exact: boolean): Resolved | null {
  if (depth < 1 || depth > 32) return null;
  let cap = root;
  let bits = depth;
  for (;;) {
    if (cap.tag !== 'CNodeCap') return null;
    const g = cap.guardSize;
    const r = cap.radix;
    if (g + r === 0 || g + r > bits) return null;
    if (bitsOf(cptr, bits - g, g) !== cap.guard) return null;
    const slot = cap.ptr + SLOT_BYTES * bitsOf(cptr, bits - g - r, r);
    bits -= g + r;
    const next = capAt(s, slot);
    if (bits === 0) return { slot, cap: next, bitsLeft: 0 };
    if (next.tag !== 'CNodeCap') return exact ? null : { slot, cap: next, bitsLeft: bits };
    cap = next;
  }
}

/** A thread's CSpace root: the cap in its TCB's CSpace slot (manual §2.3.1). */
export function cspaceRoot(s: KernelState, tcb: PPtr): Cap {
  return capAt(s, tcb + SLOT_BYTES * TCB_SLOT.cTable);
}

/** The cap an invocation's address names in a thread's CSpace (all 32 bits, may stop early). */
export function resolveInThread(s: KernelState, tcb: PPtr, cptr: number): Resolved | null {
  return resolve(s, cspaceRoot(s, tcb), cptr, 32, false);
}

// ---------------------------------------------------------------------------------------------
// The lookup of the cap register (manual §6.2.1 "Capability Faults"; §2.3.2 the guard and the
// depth must match): Send and Call on an address that does not resolve are a cap fault, as are
// Recv and NBRecv (and ReplyRecv's receive half); NBSend fails silently. A thread with a cap fault
// does not run on: it waits on its fault handler as a caller, or is suspended without one.

const FAULTS_ON_LOOKUP = new Set(['Send', 'Call', 'Recv', 'NBRecv', 'ReplyRecv']);

function capLookup(ctx: StepContext): unknown | null {
  const { before, after, event } = ctx;
  if (event.tag !== 'syscall' || ctx.observation.skipped) return null;
  const syscall = syscallOfWord(event.number);
  const t = before.curThread;
  if (syscall === undefined || t === before.idleThread || (!FAULTS_ON_LOOKUP.has(syscall) && syscall !== 'NBSend')) return null;
  if (resolveInThread(before, t, event.cap) !== null) return null;
  const now = after.objects[t];
  if (now?.tag !== 'TCB') return null;
  const st = now.state.tag;
  if (syscall === 'NBSend') {
    return st === 'Running' ? null : { promise: 'NBSend on an address that does not resolve fails silently: the sender runs on', thread: threadName(after, t), state: st, cptr: hex(event.cap >>> 0) };
  }
  const stopped = st === 'Inactive' || st === 'BlockedOnSend' || st === 'BlockedOnReply';
  return stopped ? null : { promise: `${syscall} on an address that does not resolve (no cap, guard or depth mismatch) is a cap fault: the thread waits on its fault handler or is suspended`, thread: threadName(after, t), state: st, cptr: hex(event.cap >>> 0) };
}

export const CSPACE_CONTRACTS: readonly EventContract[] = [
  {
    kind: 'event', name: 'contract-CapLookup', section: '§2.3.2 Addressing Capabilities; §6.2.1 Capability Faults',
    promise: 'Send, Call, Recv, NBRecv and ReplyRecv on a cap address that does not resolve (guard or depth mismatch, no CNode) are a cap fault: the thread waits on its fault handler or is suspended; NBSend fails silently',
    check: capLookup,
  },
];
