// The fastpath's memory footprint, pinned: the exact loads, stores and distinct 64-byte lines of
// one Call/ReplyRecv round trip on the fastpath (bench/ipc.ts's world, steady state, Benno, one
// address space, no bound notification). A change that makes the fastpath touch more memory fails
// here and shows up in review: re-pin deliberately, with the reason in the commit, and update the
// table in docs/ipc-cost.md (`l4check bench --ipc`).

import { beforeAll, describe, expect, it } from 'vitest';
import { type IpcImpl, type IpcRow, type IpcScenario, measureScenario } from '../../../../bench/ipc';
import { loadImpl } from '../../../../refinement/kernels';

const OPTIONS = { warmup: 5, rounds: 20 };
const PLAIN: IpcScenario = { scheduler: 'benno', fastpath: true, boundNotification: false, crossAS: false, blocked: 0 };

let impl: IpcImpl;
beforeAll(async () => {
  impl = await loadImpl();
});

const footprint = (rows: IpcRow[], op: IpcRow['op']) => {
  const r = rows.find((x) => x.op === op)!;
  const { loads, stores, lines, kernelEntries, fastpath } = r.cost;
  return { loads, stores, lines, kernelEntries, fastpath };
};

describe('fastpath footprint (pinned)', () => {
  it('Call + ReplyRecv round trip on the fastpath', () => {
    const rows = measureScenario(impl, PLAIN, ['roundTrip'], OPTIONS);
    expect(footprint(rows, 'call')).toEqual({ loads: 55, stores: 35, lines: 11, kernelEntries: 1, fastpath: 1 });
    expect(footprint(rows, 'replyRecv')).toEqual({ loads: 55, stores: 36, lines: 11, kernelEntries: 1, fastpath: 1 });
    expect(footprint(rows, 'roundTrip')).toEqual({ loads: 110, stores: 71, lines: 22, kernelEntries: 2, fastpath: 2 });
  });

  it('the slowpath variant does not take it, and costs more', () => {
    const rows = measureScenario(impl, { ...PLAIN, fastpath: false }, ['roundTrip'], OPTIONS);
    const slow = footprint(rows, 'roundTrip');
    expect(slow.fastpath).toBe(0);
    expect(slow.loads).toBeGreaterThan(110);
    expect(slow.lines).toBeGreaterThan(22);
  });
});
