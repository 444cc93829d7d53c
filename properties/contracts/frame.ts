// What a step may touch, as the contracts state it: "nothing else changed". Each helper reads
// only what stepChanges says differs (by reference), so a promise of no change costs little.

import type { KernelState } from '../../spec';
import type { Cap, PPtr } from '../../spec/api/types';
import { TCB_SLOT, type TCB } from '../../spec/object/structures';
import { hex } from '../invariants/changes';
import type { Invocation } from './decode';
import { capAt, SLOT_BYTES } from './cspace';

/** Deep equality of plain state data. */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/** The TCB fields a reply to the invoker does not touch (its registers and delivered record may change). */
const TCB_KEPT = ['state', 'priority', 'mcp', 'faultHandler', 'ipcBuffer', 'boundNotification', 'timeSlice', 'name', 'fault'] as const;

/** The invoker's fields besides its reply that changed, or null. */
export function invokerChanged(before: KernelState, after: KernelState, t: PPtr): unknown | null {
  const a = before.objects[t] as TCB | undefined;
  const b = after.objects[t] as TCB | undefined;
  if (a === b) return null;
  if (a === undefined || b === undefined) return { thread: hex(t), gone: b === undefined };
  const fields = TCB_KEPT.filter((f) => !same(a[f], b[f]));
  return fields.length === 0 ? null : { thread: hex(t), changed: fields.map((f) => ({ field: f, before: a[f], after: b[f] })) };
}

const SCHEDULER_KEYS = ['curThread', 'schedulerAction', 'readyQueues', 'asidTable', 'irqStates', 'irqMasked', 'irqPending'] as const;

/** The scheduler and global tables that changed (compared by reference first). */
export function globalsChanged(before: KernelState, after: KernelState): string[] {
  return SCHEDULER_KEYS.filter((k) => before[k] !== after[k] && !same(before[k], after[k]));
}

/**
 * Nothing changed but the invoker's reply: no slot, no object but the invoker (its registers and
 * delivered record) and its IPC buffer frame (the reply's words), no scheduler state.
 */
export function onlyReplyChanged(inv: Invocation): unknown | null {
  const { before, after, changes } = inv;
  if (changes.slots.length > 0) return { slotsChanged: changes.slots.map(hex) };
  const objects = changes.objects.filter((p) => p !== inv.invoker && p !== inv.buffer?.frame && p !== replyBuffer(after, inv.invoker));
  if (objects.length > 0) return { objectsChanged: objects.map(hex) };
  const t = invokerChanged(before, after, inv.invoker);
  if (t !== null) return t;
  const g = globalsChanged(before, after);
  return g.length > 0 ? { globalsChanged: g } : null;
}

/** The frame a reply's words go to (the invoker's buffer frame, writable or not). */
function replyBuffer(s: KernelState, t: PPtr): PPtr | undefined {
  const c = capAt(s, t + SLOT_BYTES * TCB_SLOT.buffer);
  return c.tag === 'FrameCap' ? c.ptr : undefined;
}

/** Slots whose cap changed other than `allowed` (MDB links of neighbours may change). */
export function otherCapsChanged(inv: Invocation, allowed: readonly PPtr[], ok: (slot: PPtr, before: Cap, after: Cap) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const p of inv.changes.slots) {
    if (allowed.includes(p)) continue;
    const a = capAt(inv.before, p);
    const b = capAt(inv.after, p);
    if (a === b || same(a, b) || ok(p, a, b)) continue;
    out.push(hex(p));
  }
  return out;
}

/** Objects that changed other than the invoker, its buffer frame and `allowed`. */
export function otherObjectsChanged(inv: Invocation, allowed: readonly PPtr[] = []): string[] {
  return inv.changes.objects.filter((p) => p !== inv.invoker && p !== inv.buffer?.frame && p !== replyBuffer(inv.after, inv.invoker) && !allowed.includes(p)).map(hex);
}

/** The first non-null piece of evidence. */
export function firstOf(...checks: (() => unknown | null)[]): unknown | null {
  for (const c of checks) {
    const e = c();
    if (e !== null && e !== undefined && !(Array.isArray(e) && e.length === 0)) return e;
  }
  return null;
}
