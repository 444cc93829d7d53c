// The command line end to end: exit codes, one-line errors, --json output.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'l4check-cli-'));

const run = (args: string[]) => runCli(args);

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

const ok = { format: 'l4check-trace/1', events: [{ as: 'root', invoke: 'TCB_Suspend', cap: 100 }], expect: [{ step: 1, threads: { root: { error: 'InvalidCapability' } } }] };

describe('l4check replay', () => {
  it('prints one JSON observation per step and exits 0', () => {
    const r = run(['replay', file('ok.json', ok), '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual([0, 1]);
    expect(lines[0].bootinfo.empty).toEqual([20, 4095]);
    expect(lines[1].threads.root).toMatchObject({ state: 'Running', error: 'InvalidCapability', mrs: [0] });
  });

  it('malformed files: one line naming the step and the JSON path, exit 2', () => {
    const bad = { ...ok, events: [{ invoke: 'CNode_Mint', cap: 2, args: { destIndex: 1, destDepth: 32, srcRoot: 2, srcIndex: 3, srcDepth: 32, rights: 'RW', badge: -1 } }] };
    const r = run(['replay', file('bad.json', bad)]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('step 1: events[0].args.badge: expected u32, got -1');
    const j = run(['replay', file('notjson.json', '{"format": ')]);
    expect(j.code).toBe(2);
    expect(j.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('bad arguments and missing files: one line, exit 2', () => {
    for (const args of [['replay', join(dir, 'missing.json')], ['replay', file('ok2.json', ok), '--kernel', 'nope'], ['replay'], ['frobnicate'], ['replay', file('ok3.json', ok), '--colour']]) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('an expect mismatch exits 1 with the step, path and values', () => {
    const r = run(['replay', file('mismatch.json', { ...ok, expect: [{ step: 1, threads: { root: { error: 'NoError' } } }] })]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('step 1: threads.root.error: expected "NoError", observed "InvalidCapability"');
  });

  it('an `as` mismatch exits 1', () => {
    const r = run(['replay', file('as.json', { format: 'l4check-trace/1', events: [{ as: 'server', tick: 1 }] })]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('step 1: expected server to be running, but root is');
  });

  it('a mutant without --allow-mutant is refused with exit 2', () => {
    const r = run(['replay', file('mutant.json', { ...ok, config: { mutant: 'x' } })]);
    expect(r.code).toBe(2);
  });

  it('--check runs both kernels with refinement; --kernel impl prints the same lines', () => {
    const f = file('ok4.json', ok);
    expect(run(['replay', f, '--check']).code).toBe(0);
    expect(run(['replay', f, '--kernel', 'impl', '--json']).stdout).toBe(run(['replay', f, '--json']).stdout);
  });
});

describe('platforms', () => {
  it('a conflicting irqLines or an unknown platform: one line naming config.irqLines / config.platform, exit 2', () => {
    const lines = run(['replay', file('qemu32.json', { ...ok, config: { platform: 'qemu-arm-virt', irqLines: 32 } })]);
    expect(lines.code).toBe(2);
    expect(lines.stderr.trim().split('\n')).toHaveLength(1);
    expect(lines.stderr).toContain('config.irqLines: platform qemu-arm-virt has 160 IRQ lines (0..159), got 32');
    const name = run(['replay', file('pc99.json', { ...ok, config: { platform: 'pc99' } })]);
    expect(name.code).toBe(2);
    expect(name.stderr).toContain('config.platform: unknown platform "pc99"');
  });

  it('check --platform: an unknown name is exit 2; qemu-arm-virt runs and reports it', () => {
    const bad = run(['check', '--platform', 'pc99', '--runs', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('l4check: --platform: expected one of default, qemu-arm-virt, got "pc99"');
    const r = run(['check', '--platform', 'qemu-arm-virt', '--runs', '2', '--steps', '30', '--seed', '3', '--workers', '1', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ platform: 'qemu-arm-virt', runsRun: 2 });
  });
});
