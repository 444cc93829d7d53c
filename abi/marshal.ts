// Marshalling of `invoke` events into a Call, exactly as libsel4's generated stubs pack arguments
// (argPositions in invocations.ts): words whole, u8 and bool packed from bit 0 aligned to their
// size, caps as extra caps in parameter order, message length = words used.

import { ARG_POSITIONS, LABEL, METHODS, type MethodName, argWords } from './invocations';
import { N_USER_REGISTERS } from './registers';

export interface Marshalled {
  label: number;
  mrs: number[];
  extraCaps: number[];
}

/** Argument values already converted to numbers (regs: an array of u32). */
export type ArgValues = Record<string, number | number[]>;

export function marshalInvocation(method: MethodName, args: ArgValues): Marshalled {
  const spec = METHODS[method];
  const mrs = new Array<number>(argWords(spec.args)).fill(0);
  const extraCaps: number[] = [];
  const pos = ARG_POSITIONS[method];
  for (const a of spec.args) {
    const p = pos[a.name];
    const v = args[a.name];
    if (p.kind === 'cap') {
      extraCaps[p.index] = v as number;
    } else if (p.kind === 'regs') {
      const regs = v as number[];
      for (let i = 0; i < N_USER_REGISTERS; i++) mrs[p.index + i] = regs[i] ?? 0;
    } else {
      const mask = p.width === 32 ? 0xffffffff : (1 << p.width) - 1;
      mrs[p.index] = (mrs[p.index] | (((v as number) & mask) << p.lsb)) >>> 0;
    }
  }
  return { label: LABEL[spec.label], mrs, extraCaps };
}
