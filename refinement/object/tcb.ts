// absTCB: a TCB of the concrete kernel (its tcb_t words in memory plus the ghost name and
// delivered record) as the spec's TCB record.

import { N_USER_REGISTERS } from '../../abi/registers';
import { field, getField } from '../../machine';
import type { TCB } from '../../spec/object/structures';
import type { Kernel } from '../../impl';
import { TCB_OFFSET, TCB_PRIO_LAYOUT, TCB_WORD } from '../../impl/object/structures';
import { absFault, absThreadState } from '../api/types';

const PRIORITY = field(TCB_PRIO_LAYOUT, 'priority');
const MCP = field(TCB_PRIO_LAYOUT, 'mcp');

/** Reads word i of the tcb_t of the TCB block at t (uncounted). */
export function tcbWord(k: Kernel, t: number, i: number): number {
  return k.m.peek32(t + TCB_OFFSET + 4 * i);
}

export function absTCB(k: Kernel, t: number): TCB {
  const w = (i: number) => tcbWord(k, t, i);
  const registers = new Array<number>(N_USER_REGISTERS);
  for (let i = 0; i < N_USER_REGISTERS; i++) registers[i] = w(TCB_WORD.registers + i);
  const prio = w(TCB_WORD.prio);
  const bound = w(TCB_WORD.boundNotification);
  const d = k.delivered.get(t);
  return {
    tag: 'TCB',
    state: absThreadState(w(TCB_WORD.tsWord0), w(TCB_WORD.tsWord1)),
    registers,
    faultHandler: w(TCB_WORD.faultHandler),
    ipcBuffer: w(TCB_WORD.ipcBuffer),
    fault: absFault(w(TCB_WORD.fault0), w(TCB_WORD.fault1), w(TCB_WORD.fault2), w(TCB_WORD.fault3)),
    boundNotification: bound === 0 ? null : bound,
    mcp: getField(prio, MCP),
    priority: getField(prio, PRIORITY),
    timeSlice: w(TCB_WORD.timeSlice),
    name: k.names.get(t) ?? null,
    delivered: d ? { ...d } : {},
  };
}
