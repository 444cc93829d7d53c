// The state view of `replay --state K` / `--explain`: what it shows of a known scenario, and the CLI.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../run-cli';
import { parseTraceText } from '../../../../abi/trace';
import { replay } from '../../../../properties/replay';
import { stateText, stateView } from '../../../../properties/view/state';
import type { KernelState } from '../../../../spec';

function statesOf(file: string): KernelState[] {
  const states: KernelState[] = [];
  replay(parseTraceText(readFileSync(file, 'utf8')), { onStep: (_e, before, after) => {
    if (states.length === 0) states.push(before);
    states.push(after);
  } });
  return states;
}

const run = (args: string[]) => runCli(args);

describe('stateView', () => {
  const states = statesOf('scenarios/ipc-call-nogrant.json');

  it('after boot: root runs, its CSpace holds the boot caps, the untyped its watermark', () => {
    const v = stateView(states[0]);
    expect(v.current).toBe('root');
    expect(v.threads.find((t) => t.name === 'root')).toMatchObject({ state: 'Running', priority: 255, mcp: 255, running: true });
    const root = v.cspaces.find((c) => c.threads.includes('root'))!;
    expect(root.slots.find((s) => s.index === 4)?.cap).toBe('IRQControlCap');
    expect(root.slots.find((s) => s.cap === 'UntypedCap')?.watermark?.size).toBeGreaterThan(0);
  });

  it('a retyped object is named, its cap has the untyped as CDT parent, and blocked threads are in their queue', () => {
    const last = stateView(states.at(-1)!);
    const root = last.cspaces.find((c) => c.threads.includes('root'))!;
    const ep = root.slots.find((s) => s.cap === 'EndpointCap')!;
    expect(ep.object).toMatch(/^ep\d$/);
    expect(ep.parent).toMatch(/^root\[\d+\]$/);
    expect(root.slots.find((s) => `root[${s.index}]` === ep.parent)?.cap).toBe('UntypedCap');
    for (const t of last.threads.filter((x) => x.state === 'BlockedOnSend' || x.state === 'BlockedOnReceive')) {
      expect(last.queues.find((q) => q.name === t.on)?.queue).toContain(t.name);
    }
    expect(stateText(last)).toContain(`parent ${ep.parent}`);
  });
});

describe('replay --state / --explain', () => {
  it('--state K prints the state after step K; out of range is one line, exit 2', () => {
    const r = run(['replay', 'scenarios/ipc-call-nogrant.json', '--state', '0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('state after boot\nrunning: root\nthreads:');
    const bad = run(['replay', 'scenarios/ipc-call-nogrant.json', '--state', '9999']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--explain prints the state before and at the failing step, and the table has a header', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'l4check-view-')), 'fails.json');
    writeFileSync(f, JSON.stringify({ format: 'l4check-trace/1', events: [{ as: 'root', invoke: 'TCB_Suspend', cap: 100 }], expect: [{ step: 1, threads: { root: { error: 'NoError' } } }] }));
    const r = run(['replay', f, '--explain']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^step\s+by\s+event\s+then runs\s+what changed$/);
    expect(r.stdout).toContain('state after boot (before the failing step)');
    expect(r.stdout).toMatch(/state after step 1, where it failed: step 1: threads\.root\.error/);
  });

  it("replay's table names each event's issuer and its caps (looked up in the issuer's CSpace), and shows nonces in hex", () => {
    const f = join(mkdtempSync(join(tmpdir(), 'l4check-view-')), 'named.json');
    writeFileSync(f, JSON.stringify({ format: 'l4check-trace/1', events: [
      { invoke: 'Untyped_Retype', cap: 17, args: { type: 'Notification', sizeBits: 0, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: 40, numObjects: 1 } },
      { invoke: 'CNode_Mint', cap: 2, args: { destIndex: 41, destDepth: 32, srcRoot: 2, srcIndex: 40, srcDepth: 32, rights: 'RW', badge: 3 } },
      { syscall: 'Send', cap: 41, mrs: ['0xc0de0007', 5] },
      { syscall: 'NBRecv', cap: 40 },
      { tick: 1 },
    ] }));
    const r = run(['replay', f]);
    expect(r.code).toBe(0);
    const row = (k: number) => r.stdout.split('\n').find((l) => l.trimStart().startsWith(`${k} `))!;
    expect(row(2)).toMatch(/^\s*2\s+root\s+CNode_Mint cap=2\(cnode0\) destIndex=41 .*srcRoot=2\(cnode0\) srcIndex=40/);
    expect(row(3)).toMatch(/^\s*3\s+root\s+Send cap=41\(ntfn0#3\) mrs=\[0xc0de0007,5\]/);
    expect(row(4)).toMatch(/^\s*4\s+root\s+NBRecv cap=40\(ntfn0\)\s+root\s+root: Running badge=3/);
    expect(row(5)).toMatch(/^\s*5\s+device\s+tick=1/);
  });
});
