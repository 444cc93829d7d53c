// bench/ipc.ts: the world it builds runs what it claims (the bench throws otherwise), steady-state
// means are whole numbers, and the table shows what it is for: lazy scheduling's cost grows with
// the blocked threads, Benno's does not.

import { beforeAll, describe, expect, it } from 'vitest';
import { type IpcImpl, type IpcScenario, formatIpcBench, measureScenario } from '../../../bench/ipc';
import { loadImpl } from '../../../refinement/kernels';

const OPTIONS = { warmup: 3, rounds: 10 };
const base: IpcScenario = { scheduler: 'benno', fastpath: true, boundNotification: false, crossAS: false, blocked: 0 };

let impl: IpcImpl;
beforeAll(async () => {
  impl = await loadImpl();
});

const roundTripLoads = (s: IpcScenario) => measureScenario(impl, s, ['roundTrip'], OPTIONS).find((r) => r.op === 'roundTrip')!.cost.loads;

describe('ipc bench', () => {
  it('measures every operation once per round, whole numbers in steady state', () => {
    for (const s of [base, { ...base, fastpath: false, crossAS: true, boundNotification: true }]) {
      const rows = measureScenario(impl, s, ['send', 'roundTrip', 'yield', 'nbsend'], OPTIONS);
      expect(rows.map((r) => r.op)).toEqual(['send', 'call', 'replyRecv', 'roundTrip', 'yield', 'nbsend']);
      for (const r of rows) for (const v of Object.values(r.cost)) expect(Number.isInteger(v), `${r.op} ${JSON.stringify(r.cost)}`).toBe(true);
      // the user side's buffer read hits the (ASID-tagged) TLB after the warm-up
      for (const r of rows) expect(r.cost.tlbMisses).toBe(0);
    }
  });

  it('a bound notification costs the receiving side a load', () => {
    const rows = measureScenario(impl, { ...base, boundNotification: true }, ['roundTrip'], OPTIONS);
    expect(rows.find((r) => r.op === 'replyRecv')!.cost.loads).toBe(measureScenario(impl, base, ['roundTrip'], OPTIONS).find((r) => r.op === 'replyRecv')!.cost.loads + 1);
  });

  it.each([true, false])('lazy scheduling costs grow with blocked threads, Benno does not (fastpath %s)', (fastpath) => {
    const at = (scheduler: 'benno' | 'lazy', blocked: number) => roundTripLoads({ ...base, fastpath, scheduler, blocked });
    expect(at('benno', 8)).toBe(at('benno', 1));
    expect(at('lazy', 8)).toBeGreaterThan(at('lazy', 1));
    expect(at('lazy', 8) - at('lazy', 1)).toBeGreaterThanOrEqual(7);
  });

  it('formats both tables', () => {
    const rows = measureScenario(impl, base, ['send', 'roundTrip'], OPTIONS);
    const text = formatIpcBench({ ipc: rows, scheduling: rows });
    expect(text).toContain('| Call + ReplyRecv round trip | fastpath on | same | no | 110 |');
  });
});
