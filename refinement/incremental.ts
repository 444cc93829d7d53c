// The abstraction of the impl, kept up to date step by step (DESIGN §6): what a step may have
// changed is read off the machine (the chunks it wrote) and the ghost heap (objects made or
// destroyed), and only those objects and slots are abstracted again. The refinement checker adds
// what the spec changed; a run without the spec adds the ghost records that change no memory
// (deliveries, names).

import { KERNEL_LAYOUT } from '../abi/boot';
import type { KernelState } from '../spec';
import type { CTE, KernelObject } from '../spec/object/structures';
import type { PPtr } from '../spec/api/types';
import type { GhostObject, Kernel } from '../impl/model/state';
import { TCB_OFFSET } from '../impl/object/structures';
import { DIRTY_CHUNK_BYTES } from '../machine';
import { abstract, absCTEInto, absGlobals, absObject, objectSlots } from './model/state';
import { floorIndex } from './sorted';

/** The TCB block's CNode part that holds its five slots. */
const TCB_CTE_BYTES = 5 * 16;

/** Objects and slots to abstract again. */
export interface Changed {
  objs: Set<PPtr>;
  slots: Set<PPtr>;
}

export class IncrementalAbstraction {
  /** The maintained abstraction (records are replaced, never mutated, when abstracted again). */
  objects: Record<PPtr, KernelObject> = {};
  ctes: Record<PPtr, CTE> = {};
  /** The ghost heap as of the last step, and its sorted bases (for address lookup). */
  private ghost = new Map<PPtr, GhostObject>();
  private bases: number[] = [];
  private readonly irqNodeEnd: number;
  /** Ghost records as of the last step (ghostRecordChanges). */
  private delivered = new Map<PPtr, unknown>();
  private namesVersion = -1;

  constructor(private readonly k: Kernel) {
    this.irqNodeEnd = KERNEL_LAYOUT.irqNode + 16 * k.config.irqLines;
  }

  /** Abstracts everything again (and forgets what was written so far). */
  full(): { state: KernelState; problems: string[] } {
    this.k.m.memory.resetDirty();
    const a = abstract(this.k);
    // Copies: update() writes these tables in place, and the state returned must stay as it is
    // (a caller keeps it as the state before the next step).
    this.objects = { ...a.state.objects };
    this.ctes = { ...a.state.ctes };
    this.snapshotGhost();
    this.snapshotRecords();
    return a;
  }

  /** What the impl changed since the last step: objects made or destroyed, and what the machine saw written. */
  changed(): Changed {
    const k = this.k;
    const objs = new Set<PPtr>();
    const slots = new Set<PPtr>();
    // By record, not by address: a retype that resets an untyped may put a new object where a
    // destroyed one began (a CNode where a deleted ASID pool was), and the impl makes a new ghost
    // record for every object it creates.
    if (k.objects.size !== this.ghost.size || this.bases.some((p) => k.objects.get(p) !== this.ghost.get(p))) {
      for (const [p, o] of this.ghost) {
        if (k.objects.get(p) === o) continue;
        objs.add(p);
        for (const s of objectSlots(p, o)) slots.add(s);
      }
      for (const [p, o] of k.objects) {
        if (this.ghost.get(p) === o) continue;
        objs.add(p);
        for (const s of objectSlots(p, o)) slots.add(s);
      }
      this.snapshotGhost();
    }
    // CTEs by slot, other objects whole, TCB blocks by half.
    for (const c of k.m.memory.takeDirty()) {
      const a = c * DIRTY_CHUNK_BYTES;
      if (a >= KERNEL_LAYOUT.irqNode && a < this.irqNodeEnd) {
        slots.add(a);
        continue;
      }
      const hit = this.objectAt(a);
      if (!hit) continue;
      const [p, o] = hit;
      if (o.type === 'CNode' || (o.type === 'TCB' && a - p < TCB_CTE_BYTES)) slots.add(a);
      else if (o.type !== 'TCB' || a - p >= TCB_OFFSET) objs.add(p);
    }
    return { objs, slots };
  }

  /** Adds the threads whose ghost records changed without a write to memory: a delivery's record, a name. */
  ghostRecordChanges(into: Changed): void {
    const k = this.k;
    for (const [p, d] of k.delivered) if (this.delivered.get(p) !== d) into.objs.add(p);
    for (const p of this.delivered.keys()) if (!k.delivered.has(p)) into.objs.add(p);
    if (k.names.version !== this.namesVersion) for (const p of k.names.keys()) into.objs.add(p);
    this.snapshotRecords();
  }

  /**
   * Abstracts the changed objects and slots again; a thread's queue links live in its TCB, so the
   * queue it was blocked on, and the one it is blocked on now, are walked again too.
   */
  update(c: Changed, problem: (what: string) => void): void {
    const k = this.k;
    for (const p of [...c.objs]) this.addBlockingObject(this.objects[p], c.objs);
    const reabstract = (p: PPtr) => {
      const o = k.objects.get(p);
      if (o) this.objects[p] = absObject(k, p, o, (w) => problem(`object 0x${p.toString(16)}: ${w}`));
      else delete this.objects[p];
    };
    for (const p of c.objs) reabstract(p);
    for (const p of [...c.objs]) {
      const q = blockingObject(this.objects[p]);
      if (q !== 0 && !c.objs.has(q)) {
        c.objs.add(q);
        reabstract(q);
      }
    }
    for (const s of c.slots) {
      delete this.ctes[s];
      absCTEInto(k, s, this.ctes, problem);
    }
  }

  /** The globals (current thread, scheduler, queues, tables), abstracted whole: they are few. */
  globals(problem: (what: string) => void): ReturnType<typeof absGlobals> {
    return absGlobals(this.k, problem);
  }

  private snapshotGhost(): void {
    this.ghost = new Map(this.k.objects);
    this.bases = [...this.ghost.keys()].sort((x, y) => x - y);
  }

  private snapshotRecords(): void {
    this.delivered = new Map(this.k.delivered);
    this.namesVersion = this.k.names.version;
  }

  /** The ghost object containing physical address a, if any. */
  private objectAt(a: number): [PPtr, GhostObject] | undefined {
    const b = this.bases;
    const hi = floorIndex(b, a);
    if (hi < 0) return undefined;
    const o = this.ghost.get(b[hi]);
    return o && a < b[hi] + 2 ** o.sizeBits ? [b[hi], o] : undefined;
  }

  private addBlockingObject(t: KernelObject | undefined, objs: Set<PPtr>): void {
    const q = blockingObject(t);
    if (q !== 0) objs.add(q);
  }
}

/** The endpoint or notification a TCB record is queued on (0 for none). */
function blockingObject(t: KernelObject | undefined): PPtr {
  if (t?.tag !== 'TCB') return 0;
  const st = t.state;
  return st.tag === 'BlockedOnSend' || st.tag === 'BlockedOnReceive' ? st.ep : st.tag === 'BlockedOnNotification' ? st.ntfn : 0;
}
