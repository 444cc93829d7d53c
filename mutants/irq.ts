// Mutants of the irq area (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

const SPEC_IRQ = 'spec/object/interrupt.ts';
const IMPL_IRQ = 'impl/object/interrupt.ts';

export const IRQ_MUTANTS: readonly Mutant[] = [
  {
    name: 'irq-ack-does-not-unmask',
    class: 'both',
    area: 'irq',
    doc: 'IRQHandler_Ack succeeds without unmasking the line, so the driver never hears of the device again.',
    patches: [
      { file: SPEC_IRQ, find: "    case 'AckIRQ':\n      writableTable(s, 'irqMasked')[inv.irq] = false;\n      return;", replace: "    case 'AckIRQ':\n      return;" },
      { file: IMPL_IRQ, find: "    case 'AckIRQ':\n      k.m.irq.unmask(inv.irq);\n      return;", replace: "    case 'AckIRQ':\n      return;" },
    ],
  },
  {
    name: 'irq-signal-leaves-unmasked',
    class: 'both',
    area: 'irq',
    doc: 'handleInterrupt signals the handler notification but does not mask the line until it is acknowledged.',
    patches: [
      { file: SPEC_IRQ, find: "      if (cap.tag === 'NotificationCap' && cap.rights.write) sendSignal(s, cap.ptr, cap.badge);\n      writableTable(s, 'irqMasked')[irq] = true;", replace: "      if (cap.tag === 'NotificationCap' && cap.rights.write) sendSignal(s, cap.ptr, cap.badge);" },
      { file: IMPL_IRQ, find: "        if (getField(w1, F_NTFN_SEND) === 1) sendSignal(k, getField(w0, F_NTFN_PTR), getField(w1, F_NTFN_BADGE));\n      }\n      k.m.irq.mask(irq);", replace: "        if (getField(w1, F_NTFN_SEND) === 1) sendSignal(k, getField(w0, F_NTFN_PTR), getField(w1, F_NTFN_BADGE));\n      }" },
    ],
  },
  {
    name: 'irq-signal-without-badge',
    class: 'both',
    area: 'irq',
    doc: 'An interrupt signals the handler notification with badge 0 instead of the badge of the notification cap given to SetNotification.',
    patches: [
      { file: SPEC_IRQ, find: 'sendSignal(s, cap.ptr, cap.badge);', replace: 'sendSignal(s, cap.ptr, 0);' },
      { file: IMPL_IRQ, find: 'sendSignal(k, getField(w0, F_NTFN_PTR), getField(w1, F_NTFN_BADGE));', replace: 'sendSignal(k, getField(w0, F_NTFN_PTR), 0);' },
    ],
  },
  {
    name: 'irq-clear-keeps-notification',
    class: 'both',
    area: 'irq',
    doc: 'IRQHandler_Clear succeeds but leaves the notification cap in the IRQ node, so the line still signals it.',
    patches: [
      { file: SPEC_IRQ, find: "    case 'ClearIRQHandler':\n      cteDeleteOne(s, irqNodeSlot(inv.irq));\n      return;", replace: "    case 'ClearIRQHandler':\n      return;" },
      { file: IMPL_IRQ, find: "    case 'ClearIRQHandler':\n      cteDeleteOne(k, irqNodeSlot(inv.irq));\n      return;", replace: "    case 'ClearIRQHandler':\n      return;" },
    ],
  },
  {
    name: 'irq-set-notification-without-write',
    class: 'both',
    area: 'irq',
    doc: 'IRQHandler_SetNotification accepts a notification cap without the Write right (the interrupt then signals through a cap that may not send).',
    patches: [
      { file: SPEC_IRQ, find: "if (ntfn.tag !== 'NotificationCap' || !ntfn.rights.write) return", replace: "if (ntfn.tag !== 'NotificationCap') return" },
      { file: IMPL_IRQ, find: 'if (capType(ntfn) !== CAP_TAG.notification || !capNtfnCanSend(ntfn)) return', replace: 'if (capType(ntfn) !== CAP_TAG.notification) return' },
      { file: SPEC_IRQ, find: "if (cap.tag === 'NotificationCap' && cap.rights.write) sendSignal", replace: "if (cap.tag === 'NotificationCap') sendSignal" },
      { file: IMPL_IRQ, find: '        if (getField(w1, F_NTFN_SEND) === 1) sendSignal', replace: '        sendSignal' },
    ],
  },
  {
    name: 'spec-irq-get-last-line-refused',
    class: 'spec',
    area: 'irq',
    doc: 'The abstract IRQControl_Get refuses the highest line with a Range Error (>= maxIRQ instead of >).',
    patches: [{ file: SPEC_IRQ, find: 'if (irq > maxIRQ(s)) return err(', replace: 'if (irq >= maxIRQ(s)) return err(' }],
  },
  {
    name: 'impl-irq-signal-leaves-unmasked',
    class: 'impl',
    area: 'irq',
    doc: 'The concrete handleInterrupt does not mask a signalled line until it is acknowledged.',
    patches: [{ file: IMPL_IRQ, find: "        if (getField(w1, F_NTFN_SEND) === 1) sendSignal(k, getField(w0, F_NTFN_PTR), getField(w1, F_NTFN_BADGE));\n      }\n      k.m.irq.mask(irq);", replace: "        if (getField(w1, F_NTFN_SEND) === 1) sendSignal(k, getField(w0, F_NTFN_PTR), getField(w1, F_NTFN_BADGE));\n      }" }],
  },
];
