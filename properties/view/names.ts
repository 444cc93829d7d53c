// Short names for the caps a trace's events name, as a reader of a replay wants them: `ep0`,
// `ntfn1`, a thread's DebugName, `cnode0`, ... Each object gets its name the first time an event
// names it and keeps it for the rest of the replay, so that one name is one object throughout.

import type { KernelState } from '../../spec';
import type { Cap, PPtr } from '../../spec/api/types';
import { lookupCap } from '../../spec/kernel/cspace';

/** The name stem of each cap type (a thread's cap is named by its thread's DebugName when it has one). */
const STEM: Record<Cap['tag'], string> = {
  NullCap: 'null', UntypedCap: 'ut', EndpointCap: 'ep', NotificationCap: 'ntfn', ReplyCap: 'reply', CNodeCap: 'cnode',
  ThreadCap: 'tcb', IRQControlCap: 'irqControl', IRQHandlerCap: 'irq', ZombieCap: 'zombie', DomainCap: 'domain',
  FrameCap: 'frame', PageTableCap: 'pt', PageDirectoryCap: 'pd', ASIDControlCap: 'asidControl', ASIDPoolCap: 'asidPool',
};

/** Caps of which a system has one: named without a number. */
const SINGLE = new Set<Cap['tag']>(['NullCap', 'IRQControlCap', 'ASIDControlCap', 'DomainCap']);

export class CapNamer {
  private readonly byObject = new Map<string, string>();
  private readonly counts = new Map<string, number>();

  /** The name of the cap at `cptr` in `thread`'s CSpace in state `s`, or undefined when the lookup fails. */
  capName(s: KernelState, thread: PPtr, cptr: unknown): string | undefined {
    if (typeof cptr !== 'number' || s.objects[thread]?.tag !== 'TCB') return undefined;
    const r = lookupCap(s, thread, cptr);
    return r.ok ? this.name(s, r.value.cap) : undefined;
  }

  /** The name of a cap: its object's (with the badge of a badged endpoint or notification cap). */
  name(s: KernelState, cap: Cap): string {
    if (SINGLE.has(cap.tag)) return STEM[cap.tag];
    if (cap.tag === 'ThreadCap') {
      const t = s.objects[cap.ptr];
      if (t?.tag === 'TCB' && t.name) return t.name;
    }
    if (cap.tag === 'ReplyCap') {
      const t = s.objects[cap.tcb];
      return `reply(${t?.tag === 'TCB' && t.name ? t.name : this.objectName('tcb', cap.tcb)})`;
    }
    if (cap.tag === 'IRQHandlerCap') return `irq${cap.irq}`;
    const key = 'ptr' in cap ? cap.ptr : 0;
    const n = this.objectName(STEM[cap.tag], key);
    return (cap.tag === 'EndpointCap' || cap.tag === 'NotificationCap') && cap.badge !== 0 ? `${n}#${cap.badge}` : n;
  }

  private objectName(stem: string, ptr: PPtr): string {
    const key = `${stem}@${ptr}`;
    let n = this.byObject.get(key);
    if (n === undefined) {
      const i = this.counts.get(stem) ?? 0;
      this.counts.set(stem, i + 1);
      this.byObject.set(key, (n = `${stem}${i}`));
    }
    return n;
  }
}
