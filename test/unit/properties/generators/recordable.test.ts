// GeneratorOptions.recordable (properties/generators/recordable.ts): traces generated with it hold
// no event a real kernel's recorder cannot run, their threads keep their IPC buffers mapped in
// their own VSpace at every step, the predicate refuses each unrecordable kind of event, and
// without the option the generator makes exactly the events it made before the option existed.

import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseEvent } from '../../../../abi/trace';
import { parsePlan } from '../../../../cli/check';
import {
  DEFAULT_GENERATOR_OPTIONS, type GeneratorOptions, type RawEvent, RECOVERY_PC, UNRECORDABLE_KINDS, type WorldParams,
  arbFullRun, faultingAccess, layoutWorld, recordableStep, runConfig, unrecordableThreads, worldSetup,
} from '../../../../properties/generators';
import { executeRun } from '../../../../properties/check/execute';
import { asidFillOfRun, planConfig } from '../../../../properties/check/runs';
import { type KernelState, bootState, setSpecFreeze, step } from '../../../../spec';
import { readCTE, readTCB } from '../../../../spec/model/state';
import { bootLayout } from '../../../../abi/boot';

const config = planConfig({ variant: {} });
const RECORDABLE: GeneratorOptions = { ...DEFAULT_GENERATOR_OPTIONS, recordable: true };

beforeAll(() => setSpecFreeze(false));

/** Run `index` of seed `seed` with options `o`, on the spec: its events as run (with `as`) and its setup's length. */
function generated(o: GeneratorOptions, seed: number, index: number) {
  const [run] = fc.sample(arbFullRun(o, config, asidFillOfRun(index)), { seed, path: String(index), numRuns: 1 });
  const out = executeRun(run, { config, kernel: 'spec', invariants: [], generator: o }, layoutWorld(o), { trace: true });
  return { run, out, events: out.events!, setup: worldSetup(layoutWorld(o), run.world).length };
}

const hash = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex');

describe('without the option', () => {
  it('the generator makes the events it made before the option existed (seed 1, runs 0 and 9; re-pinned on purpose each time a bias or burst of the default generator changes, last for the harness-held thread caps and the carried cap of the call burst)', () => {
    expect(hash(generated(DEFAULT_GENERATOR_OPTIONS, 1, 0).events)).toBe('05fd1eddd719dd283e1ff59a02639e1701e7863ebc9bd44ffecf1cdc7e3bdafc');
    expect(hash(generated(DEFAULT_GENERATOR_OPTIONS, 1, 9).events)).toBe('b511e00079aca2f9d719d2aa463da60dc9de9ee09d2fb200e4bde2c2844e2730');
  });

  it('the default options and `l4check check` without --recordable carry no recordable key (config.generator unchanged)', () => {
    expect('recordable' in DEFAULT_GENERATOR_OPTIONS).toBe(false);
    expect('recordable' in parsePlan({ kernel: 'both', seed: '1' }).generator).toBe(false);
    expect(parsePlan({ kernel: 'both', seed: '1', recordable: true }).generator.recordable).toBe(true);
  });
});

describe('traces generated with the option', () => {
  // Runs 0-3 of seed 4242 (the recorded seed) and run 9, which fills the ASID table.
  for (const index of [0, 1, 2, 3, 9]) {
    it(`run ${index} of seed 4242: no unrunnable kind, no faulting access re-executed, every thread in the root VSpace with its buffer mapped, after every step`, () => {
      const { run, out, events, setup } = generated(RECORDABLE, 4242, index);
      expect(out.failure).toBeUndefined();
      const c = runConfig(config, run.world);
      const root = bootLayout(c).rootCNode;
      let s: KernelState = bootState(c);
      // Threads stopped at a faulting access: runnable again only through the watchdog's move-on.
      const stopped = new Set<number>();
      let faults = 0;
      events.forEach((raw, i) => {
        const { as, comment: __, ...e } = raw as RawEvent;
        const what = `step ${i + 1}: ${JSON.stringify(raw)}`;
        expect(UNRECORDABLE_KINDS.find((k) => k in e), what).toBeUndefined();
        if (faultingAccess(s, e)) {
          stopped.add(s.curThread);
          faults++;
        }
        if (as === 'watchdog' && e.invoke === 'TCB_WriteRegisters') {
          expect((e.args as { regs: number[] }).regs, what).toEqual([RECOVERY_PC]);
          stopped.delete((readCTE(s, root + 16 * (e.cap as number)).cap as { ptr: number }).ptr);
        }
        s = step(s, parseEvent(e, `events[${i}]`, c).event, i + 1).state;
        for (const p of stopped) expect(['Running', 'Restart'].includes(readTCB(s, p).state.tag), `${what} restarts a thread stopped at a faulting access`).toBe(false);
        if (i + 1 >= setup) expect(unrecordableThreads(s), `after ${what}`).toEqual([]);
      });
      // Faulting accesses are still there (the VMFault cells of the coverage matrix).
      faultsSeen += faults;
      // The polling watchdog keeps the run going without an interrupt.
      expect(events.length - setup).toBeGreaterThan(RECORDABLE.steps / 2);
    });
  }
  let faultsSeen = 0;
  it('keep faulting accesses (moved on, not re-executed)', () => expect(faultsSeen).toBeGreaterThan(0));
});

describe('recordableStep', () => {
  const o = RECORDABLE;
  const w = layoutWorld(o);
  const params: WorldParams = { priorities: [100, 100, 100, 100], rootPriority: 255, faultHandler: [true, true, true, true], boundTo: [-1, -1], asidFill: 'none' };
  let s: KernelState;
  beforeAll(() => {
    s = bootState(config);
    worldSetup(w, params).forEach((e, i) => (s = step(s, parseEvent(e, `setup[${i}]`, config).event, i + 1).state));
  });
  const ok = (e: RawEvent) => recordableStep(s, e);

  it('root runs the world as set up, and nothing in it is unrecordable', () => {
    expect((s.objects[s.curThread] as { name: string | null }).name).toBe('root');
    expect(unrecordableThreads(s)).toEqual([]);
  });

  it('refuses the kinds a thread cannot perform, and misaligned or kernel-window accesses; takes other accesses, faulting ones too', () => {
    for (const e of [{ irq: 5 }, { tick: 1 }, { exception: 0 }, { load: 0xe0001000 }, { load: 0x00202002 }, { store: 0x00206001, value: 1 }]) expect(ok(e), JSON.stringify(e)).toBe(false);
    for (const e of [{ load: 0x00202040 }, { store: 0x00203040, value: 7 }, { load: 0x00207000 }, { store: 0x00206000, value: 1 }]) expect(ok(e), JSON.stringify(e)).toBe(true);
    expect(faultingAccess(s, { load: 0xe0001000 })).toBe(true);
    expect(faultingAccess(s, { load: 0x00202040 })).toBe(false);
  });

  it('refuses restarting a thread stopped at a faulting access (seL4 would re-execute the access)', () => {
    const suspended = step(s, parseEvent({ invoke: 'TCB_Suspend', cap: w.tcbs[0] }, 'e', config).event, 0).state;
    const t1 = (readCTE(s, bootLayout(config).rootCNode + 16 * w.tcbs[0]).cap as { ptr: number }).ptr;
    const ctx = { stoppedAtAccess: new Set([t1]) };
    expect(recordableStep(suspended, { invoke: 'TCB_Resume', cap: w.tcbs[0] }, ctx)).toBe(false);
    expect(recordableStep(suspended, { invoke: 'TCB_Resume', cap: w.tcbs[0] })).toBe(true);
    expect(recordableStep(suspended, { invoke: 'TCB_Resume', cap: w.tcbs[1] }, ctx)).toBe(true);
  });

  it("refuses unmapping a thread's buffer or moving it to a frame not mapped there; takes the spare frames' map and unmap", () => {
    expect(ok({ invoke: 'Page_Unmap', cap: w.frames[0] })).toBe(false);
    expect(ok({ invoke: 'Page_Unmap', cap: 10 })).toBe(false);
    expect(ok({ invoke: 'TCB_SetIPCBuffer', cap: w.tcbs[0], args: { buffer: 0x00207000, bufferFrame: w.frames[0] } })).toBe(false);
    expect(ok({ invoke: 'TCB_SetIPCBuffer', cap: w.tcbs[0], args: { buffer: 0x00202000, bufferFrame: w.frames[1] } })).toBe(false);
    expect(ok({ invoke: 'TCB_SetIPCBuffer', cap: w.tcbs[0], args: { buffer: 0x00202000, bufferFrame: w.frames[0] } })).toBe(true);
    const spare = w.frames[w.tcbs.length];
    expect(ok({ invoke: 'Page_Map', cap: spare, args: { vspace: 3, vaddr: 0x00207000, rights: 'RW', attr: 0 } })).toBe(true);
    // The last spare frame is the watchdog's buffer.
    expect(ok({ invoke: 'Page_Unmap', cap: w.frames[w.frames.length - 1] })).toBe(false);
  });

  it('refuses leaving the root VSpace: deleting the ASID pool, a page directory of its own', () => {
    expect(ok({ invoke: 'CNode_Delete', cap: 2, args: { index: 6, depth: 32 } })).toBe(false);
    const assigned = step(s, parseEvent({ invoke: 'ASIDPool_Assign', cap: 6, args: { vspace: w.pageDirectory } }, 'e', config).event, 0).state;
    const setSpace = { invoke: 'TCB_SetSpace', cap: w.tcbs[0], args: { faultEP: 0, cspaceRoot: 2, cspaceRootData: 0, vspaceRoot: w.pageDirectory, vspaceRootData: 0 } };
    expect(recordableStep(assigned, setSpace)).toBe(false);
    expect(recordableStep(assigned, { ...setSpace, args: { ...setSpace.args, vspaceRoot: 3 } })).toBe(true);
  });

  it("refuses register writes the recorder's code cannot survive; takes the recovery pc and r0..r7", () => {
    const write = (count: number, regs: number[]) => ({ invoke: 'TCB_WriteRegisters', cap: w.tcbs[0], args: { resumeTarget: false, archFlags: 0, count, regs } });
    expect(ok(write(1, [0x1234]))).toBe(false);
    expect(ok(write(1, [RECOVERY_PC]))).toBe(true);
    expect(ok(write(2, [0, 0x8000]))).toBe(false);
    expect(ok(write(5, [0, 0, 336, 1, 2]))).toBe(true);
    const copy = (transferFrame: boolean, transferInteger: boolean) => ({
      invoke: 'TCB_CopyRegisters', cap: w.tcbs[0], args: { source: w.tcbs[1], suspendSource: false, resumeTarget: false, transferFrame, transferInteger, archFlags: 0 },
    });
    expect(ok(copy(true, false))).toBe(false);
    expect(ok(copy(false, true))).toBe(false);
    expect(ok(copy(false, false))).toBe(true);
    // the TLS base is the recorder's code's too, whatever the model holds there
    const tls = (info?: { length: number }) => ({ invoke: 'TCB_SetTLSBase', cap: w.tcbs[0], args: { tlsBase: 0 }, ...(info ? { info } : {}) });
    expect(ok(tls())).toBe(false);
    expect(ok(tls({ length: 0 }))).toBe(true);
  });

  it('does not change the state it tries the event on', () => {
    const before = s;
    const objects = s.objects;
    ok({ invoke: 'Page_Unmap', cap: w.frames[0] });
    expect(s).toBe(before);
    expect(s.objects).toBe(objects);
    expect(unrecordableThreads(s)).toEqual([]);
  });
});
