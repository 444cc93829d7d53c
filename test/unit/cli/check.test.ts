// `l4check check` after a failure (issue 15): the output ends with the failure, the counterexample
// and a reproduce line that carries every option the run depended on; the file records the check
// that failed and the invariants file; the reproduce line reruns just that run; the next check
// replays the file first; a plain replay says it did not run the checks; the snippet's API works.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkTrace, parseTraceText } from '../../../properties';

const BIN = resolve('bin/l4check.js');
const INV = resolve('test/unit/cli/data/no-blocked-senders.ts');
const cwd = mkdtempSync(join(tmpdir(), 'l4check-check-'));

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('node', [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: stripVTControlCharacters(r.stdout), stderr: stripVTControlCharacters(r.stderr) };
}

const ARGS = ['--kernel', 'spec', '--runs', '4', '--steps', '60', '--seed', '5', '--workers', '1', '--threads', '3', '--invariants', INV];

describe('a failing check', () => {
  const first = run(['check', ...ARGS]);
  const lines = first.stdout.trim().split('\n');
  const file = /^counterexample: (\S+)/.exec(lines.at(-2) ?? '')?.[1] ?? '';
  const reproduce = /^reproduce: l4check check (.*)$/.exec(lines.at(-1) ?? '')?.[1] ?? '';

  it('ends its output with the failure, the counterexample and the reproduce line', () => {
    expect(first.code).toBe(1);
    expect(lines.at(-3)).toMatch(/^FAILED: no-blocked-senders at step \d+$/);
    expect(file).toMatch(/^counterexamples\/[0-9a-f]{16}\.json$/);
    expect(reproduce).toMatch(/^--seed 5 --runs 4 --steps 60 --kernel spec --threads 3 --invariants \S+no-blocked-senders\.ts --path \d+$/);
  });

  it('records the check, the step, the kernel and the invariants file (path and hash) in the file', () => {
    const trace = JSON.parse(readFileSync(join(cwd, file), 'utf8'));
    expect(trace.config.generator).toMatchObject({ found: { check: 'no-blocked-senders' }, kernel: 'spec', threads: 3, invariants: { path: INV } });
    expect(trace.config.generator.invariants.sha256).toMatch(/^[0-9a-f]{16}$/);
  });

  it('the reproduce line reruns just the failing run, to the same counterexample', () => {
    const again = run(['check', ...reproduce.split(' '), '--no-replay-failures', '--json']);
    expect(again.code).toBe(1);
    const out = JSON.parse(again.stdout);
    expect(out.runsRun).toBe(1);
    expect(out.failure).toMatchObject({ check: 'no-blocked-senders', path: file });
  });

  it('the next check replays the earlier counterexample first, and stops there while it fails', () => {
    const next = run(['check', ...ARGS]);
    expect(next.code).toBe(1);
    expect(next.stdout.split('\n')[2]).toBe(`FAIL ${file}: still fails no-blocked-senders at step ${/at step (\d+)/.exec(lines.at(-3)!)![1]} (l4check replay --check ${file}; --no-replay-failures skips these)`);
    expect(next.stdout).toContain('in 0 runs');
  });

  it('a plain replay says that it did not run the checks the file failed', () => {
    const r = run(['replay', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/its checks not run: l4check check found no-blocked-senders failing at step \d+ \(replay --check runs them\)/);
    expect(r.stderr).not.toContain('all checks passed');
  });

  it("the printed vitest snippet imports only the public entry, and its checkTrace fails as the check did", async () => {
    const snippet = first.stdout.slice(first.stdout.indexOf('vitest (once the file is in regressions/):'));
    const imports = [...snippet.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['node:fs', 'vitest', 'l4check/properties']);
    expect(snippet).toContain(`readFileSync('regressions/${file.slice('counterexamples/'.length)}'`);
    expect(snippet).toContain(`checkTrace(trace, { invariantsFile: ${JSON.stringify(INV)} })`);
    const trace = parseTraceText(readFileSync(join(cwd, file), 'utf8'));
    const r = await checkTrace(trace, { kernel: 'spec', invariantsFile: INV });
    expect(r.failure?.check).toBe('no-blocked-senders');
    expect(r.failure?.check).not.toBe(trace.expectViolation);
  });

  it('--path: a malformed path or a run outside --runs is one line, exit 2', () => {
    for (const p of ['x', '7', '1:a']) {
      const r = run(['check', '--runs', '4', '--path', p]);
      expect(r.code, p).toBe(2);
      expect(r.stderr.trim().split('\n'), p).toHaveLength(1);
    }
  });
});
