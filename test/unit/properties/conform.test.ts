// l4check conform: the comparer on hand-made records (agreement, every kind of disagreement,
// malformed records) and on a record of the real seL4 (call-reply, copied from the shared corpus).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parseTrace } from '../../../abi/trace';
import { conformTrace, type TraceConformance } from '../../../properties/conform/compare';
import { parseSel4Record, parseSel4RecordText } from '../../../properties/conform/record';
import type { KernelChoice } from '../../../properties/check/steppers';
import type { Invariant } from '../../../properties/invariants/types';
import { loadImpl } from '../../../refinement/kernels';
import { setSpecFreeze } from '../../../spec';
import { main } from '../../../cli/main';

const DATA = join(import.meta.dirname, 'data', 'conform');
let impl: Awaited<ReturnType<typeof loadImpl>>;

beforeAll(async () => {
  setSpecFreeze(false);
  impl = await loadImpl();
});

// root calls a server that shares root's IPC buffer; the server replies with five words (the
// fifth travels in the buffer), then root loads that word.
const TRACE_JSON = {
  format: 'l4check-trace/1',
  config: { untyped: [{ paddr: '0x00800000', sizeBits: 23 }] },
  events: [
    { as: 'root', invoke: 'Untyped_Retype', cap: 17, args: { type: 'Endpoint', sizeBits: 0, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: 20, numObjects: 1 } },
    { as: 'root', invoke: 'Untyped_Retype', cap: 17, args: { type: 'TCB', sizeBits: 0, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: 21, numObjects: 1 } },
    { as: 'root', invoke: 'TCB_Configure', cap: 21, args: { faultEP: 0, cspaceRoot: 2, cspaceRootData: 0, vspaceRoot: 3, vspaceRootData: 0, buffer: '0x00200000', bufferFrame: 10 } },
    { as: 'root', invoke: 'TCB_SetPriority', cap: 21, args: { authority: 1, priority: 254 } },
    { as: 'root', invoke: 'DebugNameThread', cap: 21, args: { name: 'server' } },
    { as: 'root', invoke: 'TCB_Resume', cap: 21 },
    { as: 'root', syscall: 'Call', cap: 20, info: { label: 7 }, mrs: [11, 22] },
    { as: 'server', syscall: 'Recv', cap: 20 },
    { as: 'server', syscall: 'Reply', info: { label: 9 }, mrs: [33, 1, 2, 3, 4] },
    { as: 'root', load: '0x00200014' },
  ],
};

const M1 = 0xffffffff; // r7 of a Call (-1)
const info = (label: number, length: number) => ({ label, capsUnwrapped: 0, extraCaps: 0, length });
const ret = (thread: string, how: 'return' | 'restart' | 'entry', trapStep: number | null, after: number, registers: number[], inf = info(0, 0), mrs: number[] = []) => ({
  thread, how, trapStep, after, badge: registers[0], info: inf, mrs, registers,
});

/** What seL4 does with TRACE_JSON, written out by hand from the kernel's semantics. */
function baseRecord(): Record<string, unknown> {
  return {
    format: 'l4check-sel4/1',
    trace: 'hand.trace.json',
    source: 'scenario',
    kernel: { repository: 'github.com/seL4/seL4', commit: '1326364bc9135d9445d936ebc01e38a402c1f4c6', platform: 'qemu-arm-virt', arch: 'aarch32', build: 'debug' },
    outcome: 'completed',
    steps: 10,
    actors: ['root', 'root', 'root', 'root', 'root', 'root', 'root', 'server', 'server', 'root', 'root'],
    resumptions: [
      { step: 0, thread: 'root', how: 'entry' },
      ...[1, 2, 3, 4, 6].map((step) => ({ step, thread: 'root', how: 'return' })),
      { step: 7, thread: 'server', how: 'entry' },
      { step: 8, thread: 'server', how: 'return' },
      { step: 9, thread: 'root', how: 'return' },
    ],
    returns: [
      ret('root', 'entry', null, 0, [0, 0, 0, 0, 0, 0, 0, 0]),
      ret('root', 'return', 1, 1, [0, 0, 2, 0, 0, 0, 0, M1]),
      ret('root', 'return', 2, 2, [0, 0, 1, 0, 0, 0, 0, M1]),
      ret('root', 'return', 3, 3, [0, 0, 0, 0, 0, 0x00200000, 0, M1]),
      ret('root', 'return', 4, 4, [0, 0, 254, 0, 0, 0, 0, M1]),
      ret('root', 'return', 6, 6, [0, 0, 0, 0, 0, 0, 0, M1]),
      ret('server', 'entry', null, 7, [0, 0, 0, 0, 0, 0, 0, 0]),
      ret('server', 'return', 8, 8, [0, (7 << 12) | 2, 11, 22, 0, 0, 0, 0xfffffffb], info(7, 2), [11, 22]),
      ret('root', 'return', 7, 9, [0, (9 << 12) | 5, 33, 1, 2, 3, 0, M1], info(9, 5), [33, 1, 2, 3, 4]),
    ],
    loads: [{ step: 10, thread: 'root', value: 4 }],
    unreturned: [{ thread: 'server', trapStep: 9 }],
    final: { step: 10, threads: { server: { state: 'Running', priority: 254 }, root: { state: 'Running', priority: 255 }, idle: { state: 'Idle' } } },
  };
}

type Rec = ReturnType<typeof baseRecord> & Record<string, any>;

function run(edit: (r: Rec) => void = () => {}, kernel: KernelChoice = 'both', traceEdit?: (t: typeof TRACE_JSON) => void): TraceConformance {
  const r = baseRecord() as Rec;
  edit(r);
  const t = structuredClone(TRACE_JSON);
  traceEdit?.(t);
  const trace = parseTrace(t, { platform: 'qemu-arm-virt' });
  return conformTrace(trace, [parseSel4Record(r)], { kernel, impl });
}

const firstDifference = (c: TraceConformance) => c.records[0].difference;

describe('the comparer', () => {
  it.each(['spec', 'impl', 'both'] as const)('agrees on the hand-made record with kernel %s, having compared every kind of item', (kernel) => {
    const c = run(undefined, kernel);
    expect(c.modelFailure).toBeUndefined();
    expect(firstDifference(c)).toBeUndefined();
    expect(c.records[0].compared).toEqual({ actors: 11, resumptions: 9, registers: 9, bufferWords: 1, loads: 1, finalThreads: 3, unreturned: 1 });
  });

  it('agrees with the real seL4 on call-reply (recorded under QEMU)', () => {
    const trace = parseTrace(JSON.parse(readFileSync(join(DATA, 'call-reply.trace.json'), 'utf8')), { platform: 'qemu-arm-virt' });
    const rec = parseSel4RecordText(readFileSync(join(DATA, 'call-reply.sel4.json'), 'utf8'));
    const c = conformTrace(trace, [rec], { impl });
    expect(c.records[0].difference).toBeUndefined();
    expect(c.records[0].compared.resumptions).toBe(9);
  });

  const cases: [string, (r: Rec) => void, Record<string, unknown>][] = [
    ['who runs', (r) => { r.actors[7] = 'root'; }, { step: 7, field: 'actor', model: 'server', sel4: 'root' }],
    ['a resumption the model does not make', (r) => {
      r.resumptions.splice(5, 0, { step: 5, thread: 'root', how: 'return' });
    }, { step: 5, field: 'resumption', model: null, sel4: 'root' }],
    ['a resumption seL4 did not make', (r) => {
      r.resumptions = r.resumptions.filter((x: { step: number }) => x.step !== 4);
      r.returns = r.returns.filter((x: { after: number }) => x.after !== 4);
    }, { step: 4, field: 'resumption', model: 'root', sel4: null }],
    ['a restart where the model returned', (r) => {
      r.resumptions[7].how = 'restart';
      r.returns[7].how = 'restart';
    }, { step: 8, thread: 'server', field: 'how', model: 'return', sel4: 'restart' }],
    ['a return where the model started the thread', (r) => {
      r.resumptions[6].how = 'return';
    }, { step: 7, thread: 'server', field: 'how', model: 'restart or entry', sel4: 'return' }],
    ['the badge', (r) => { r.returns[7].registers[0] = 5; }, { step: 8, thread: 'server', field: 'badge', model: 0, sel4: 5 }],
    ['the label', (r) => { r.returns[7].registers[1] = (8 << 12) | 2; }, { step: 8, field: 'info.label', model: 7, sel4: 8 }],
    ['the length', (r) => { r.returns[7].registers[1] = (7 << 12) | 3; }, { step: 8, field: 'info.length', model: 2, sel4: 3 }],
    ['a message register', (r) => { r.returns[7].registers[3] = 23; }, { step: 8, field: 'mrs[1]', model: 22, sel4: 23 }],
    ['a register past the message', (r) => { r.returns[7].registers[5] = 1; }, { step: 8, field: 'r5', model: 0, sel4: 1 }],
    ['a message word in the IPC buffer', (r) => { r.returns[8].mrs[4] = 5; }, { step: 9, thread: 'root', field: 'mrs[4]', model: 4, sel4: 5 }],
    ['the trap a return answers', (r) => { r.returns[8].trapStep = 6; }, { step: 9, field: 'trapStep', model: 7, sel4: 6 }],
    ['a loaded word', (r) => { r.loads[0].value = 7; }, { step: 10, field: 'loaded', model: 4, sel4: 7 }],
    ['a final state', (r) => { r.final.threads.server.state = 'BlockedOnReceive'; }, { step: 10, thread: 'server', field: 'final.state', model: 'Running', sel4: 'BlockedOnReceive' }],
    ['a final priority', (r) => { r.final.threads.root.priority = 100; }, { step: 10, thread: 'root', field: 'final.priority', model: 255, sel4: 100 }],
    ['a thread only seL4 has', (r) => { r.final.threads.ghost = { state: 'Inactive', priority: 0 }; }, { thread: 'ghost', field: 'final.exists', model: false, sel4: true }],
    ['a thread only the model has', (r) => { delete r.final.threads.server; }, { thread: 'server', field: 'final.exists', model: true, sel4: false }],
    ['a call that had not returned', (r) => { r.unreturned.push({ thread: 'root', trapStep: 7 }); }, { step: 10, thread: 'root', field: 'unreturned' }],
  ];

  it.each(cases)('reports %s', (_, edit, expected) => {
    expect(firstDifference(run(edit))).toMatchObject(expected);
  });

  it('masks harness words', () => {
    expect(firstDifference(run((r) => {
      r.returns[7].registers[3] = 23;
      r.returns[7].harnessWords = [1];
    }))).toBeUndefined();
  });

  it('does not read buffer words the recorder could not read', () => {
    expect(firstDifference(run((r) => {
      r.returns[8].mrs = [33, 1, 2, 3];
      r.returns[8].mrsFromBuffer = false;
    }))).toBeUndefined();
  });

  it('a diverged record is a disagreement when the model runs the thread the trace expects', () => {
    const c = run((r) => {
      r.outcome = 'diverged';
      r.steps = 7;
      r.actors = [...r.actors.slice(0, 7), 'root'];
      r.resumptions = r.resumptions.slice(0, 6);
      r.returns = r.returns.slice(0, 6);
      r.loads = [];
      r.unreturned = [{ thread: 'root', trapStep: 7 }];
      r.divergence = { step: 7, kernelRan: 'root', modelRuns: 'server' };
      delete r.final;
    });
    expect(firstDifference(c)).toMatchObject({ step: 7, field: 'actor (diverged)', model: 'server', sel4: 'root' });
  });

  it('a record of a run that crashed is a disagreement', () => {
    expect(firstDifference(run((r) => { r.outcome = 'crashed'; }))).toMatchObject({ field: 'outcome', sel4: 'crashed' });
  });

  it('a failed check of the model is reported as a failure of the model, not as a disagreement', () => {
    const r = parseSel4Record(baseRecord());
    const trace = parseTrace(TRACE_JSON, { platform: 'qemu-arm-virt' });
    const noThirdStep: Invariant = { name: 'no-third-step', doc: 'fails at step 3', monitor: () => ({ step: (ctx) => (ctx.step === 3 ? { invariant: 'no-third-step', evidence: 3 } : null) }) };
    const c = conformTrace(trace, [r], { impl, invariants: [noThirdStep] });
    expect(c.modelFailure).toMatchObject({ step: 3, check: 'no-third-step', evidence: 3 });
    expect(c.records[0].difference).toBeUndefined();
  });
});

describe('malformed records', () => {
  const bad: [string, (r: Rec) => void, string][] = [
    ['a wrong format', (r) => { r.format = 'l4check-sel4/2'; }, 'format: unsupported format "l4check-sel4/2"'],
    ['actors of the wrong length', (r) => { r.actors.pop(); }, 'actors: expected steps + 1 = 11 names, got 10'],
    ['a register file of the wrong size', (r) => { r.returns[2].registers.pop(); }, 'returns[2].registers: expected r0..r7 (8 words), got 7'],
    ['a negative badge', (r) => { r.returns[1].badge = -1; }, 'returns[1].badge: expected an integer 0..2^32-1, got -1'],
    ['a step past the end', (r) => { r.loads[0].step = 11; }, "loads[0].step: step 11 is past the record's last step 10"],
    ['an unknown outcome', (r) => { r.outcome = 'fine'; }, 'outcome: expected one of completed, idle, diverged, crashed, timeout, setup-failed, got "fine"'],
    ['a return without its trap', (r) => { r.returns[1].trapStep = null; }, 'returns[1].trapStep: a "return" resumption needs the step of its trap'],
    ['an unknown final state', (r) => { r.final.threads.root.state = 'Sleeping'; }, 'final.threads.root.state: expected one of'],
  ];
  it.each(bad)('rejects %s with the JSON path', (_, edit, message) => {
    const r = baseRecord() as Rec;
    edit(r);
    expect(() => parseSel4Record(r)).toThrow(message);
  });
});

describe('l4check conform', () => {
  const dir = (files: Record<string, unknown>): string => {
    const d = mkdtempSync(join(tmpdir(), 'l4check-conform-'));
    for (const [name, v] of Object.entries(files)) writeFileSync(join(d, name), typeof v === 'string' ? v : JSON.stringify(v));
    return d;
  };
  const capture = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    try {
      const code = await main(argv);
      // CI sets CI, which turns picocolors on: compare the text without colour codes.
      return { code, out: stripVTControlCharacters(out), err: stripVTControlCharacters(err) };
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  };

  it('exits 0 when every record agrees, and prints the --json summary', async () => {
    const d = dir({ 'hand.trace.json': TRACE_JSON, 'hand.sel4.json': baseRecord(), 'alone.trace.json': TRACE_JSON });
    const r = await capture(['conform', d, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ ok: true, traces: 1, agree: 1, events: 10, disagree: [] });
    expect(j.compared.resumptions).toBe(9);
  });

  it('exits 1 on a disagreement, with one line naming step, thread, field and both values', async () => {
    const rec = baseRecord() as Rec;
    rec.returns[7].registers[3] = 23;
    const d = dir({ 'hand.trace.json': TRACE_JSON, 'hand.sel4.json': rec, 'hand.sel4.verification.json': { ...baseRecord(), kernel: { ...rec.kernel, build: 'verification' } } });
    const r = await capture(['conform', join(d, 'hand.sel4.json'), '--kernel', 'spec']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('DISAGREE hand [debug]: step 8, thread server, mrs[1]: model 22, seL4 23');
    expect(r.out).not.toContain('[verification]');
    expect(r.out).toContain('0/1 traces agree');
  });

  it('exits 2 with one line on a malformed record, before running anything', async () => {
    const rec = baseRecord() as Rec;
    rec.returns[2].registers = [1];
    const d = dir({ 'a.trace.json': TRACE_JSON, 'a.sel4.json': { ...rec, trace: 'a.trace.json' }, 'b.trace.json': TRACE_JSON, 'b.sel4.json': '{"format": ' });
    const r = await capture(['conform', join(d, 'a.trace.json')]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('a.sel4.json: returns[2].registers: expected r0..r7 (8 words), got 1');
    const r2 = await capture(['conform', join(d, 'b.sel4.json')]);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/b\.sel4\.json: not JSON/);
  });

  it('exits 2 on a platform the model does not have', async () => {
    const rec = baseRecord() as Rec;
    rec.kernel.platform = 'pc99';
    const r = await capture(['conform', dir({ 'hand.trace.json': TRACE_JSON, 'hand.sel4.json': rec })]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('hand.sel4.json: kernel.platform: unknown platform "pc99"');
  });

  it('exits 2 when there is nothing to compare', async () => {
    const d = dir({ 'alone.trace.json': TRACE_JSON });
    expect((await capture(['conform', d])).code).toBe(2);
    expect((await capture(['conform', join(d, 'alone.trace.json')])).err).toContain('no record beside it');
    expect((await capture(['conform'])).code).toBe(2);
  });
});
