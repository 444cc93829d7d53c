// `l4check check` after a failure (issue 15): the output ends with the failure, the counterexample
// and a reproduce line that carries every option the run depended on; the file records the check
// that failed and the invariants file; the reproduce line reruns just that run; the next check
// replays the file first; a plain replay says it did not run the checks; the snippet's API works.

import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
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
    expect(first.stdout).toContain(`picture: l4check view ${file}`);
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
    expect(out).toMatchObject({ ok: false, version: expect.stringMatching(/^\d+\.\d+\.\d+/), regressionEvents: 0 });
    expect(out.failure).toMatchObject({ check: 'no-blocked-senders', path: file, run: Number(reproduce.split(' ').at(-1)) });
    expect(typeof out.failure.evidence).toBe('object');
    expect(typeof out.failure.evidence.thread).toBe('string');
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

describe('options and CI', () => {
  const oneLine = (args: string[], msg: string | RegExp) => {
    const r = run(args);
    expect(r.code, args.join(' ').slice(0, 80)).toBe(2);
    expect(r.stderr.trim().split('\n'), args.join(' ').slice(0, 80)).toHaveLength(1);
    expect(r.stderr).toMatch(msg);
    return r;
  };

  it('absurd values are refused, and an error quotes at most ~300 characters of a huge value, on one line', () => {
    oneLine(['check', '--shard', '1/99999999999999999999'], '--shard');
    oneLine(['check', '--weights', 'ipc=99999999999999999999999'], '--weights');
    const huge = oneLine(['check', '--runs', 'x'.repeat(100_000)], '--runs');
    expect(huge.stderr.length).toBeLessThan(400);
    oneLine(['check', '--invariants', 'a\nb'], '--invariants: a b: no such file');
  });

  it('--junit is checked before the run: a missing folder, or a file that is not a JUnit report, is refused', () => {
    oneLine(['check', '--junit', join(cwd, 'no-such-folder', 'x.xml')], 'no folder');
    const trace = join(cwd, 'trace.json');
    writeFileSync(trace, '{"format":"l4check-trace/1","events":[]}');
    oneLine(['check', '--junit', trace], 'exists and is not a JUnit report: not overwritten');
    expect(readFileSync(trace, 'utf8')).toContain('l4check-trace/1');
  });

  it('JUnit: the suite name carries the shard, properties carry seed, shard and version', () => {
    const xml = join(cwd, 'report.xml');
    expect(run(['check', '--kernel', 'spec', '--runs', '2', '--steps', '10', '--seed', '3', '--workers', '1', '--shard', '2/2', '--junit', xml]).code).toBe(0);
    const text = readFileSync(xml, 'utf8');
    expect(text).toContain('<testsuite name="l4check check shard 2/2"');
    expect(text).toContain('<property name="seed" value="3"/>');
    expect(text).toContain('<property name="shard" value="2/2"/>');
    expect(text).toMatch(/<property name="version" value="\d+\.\d+\.\d+"\/>/);
  });

  it('--time-limit that stops before --min-runs runs (default: all) exits 1 with one line saying how many ran', () => {
    const r = run(['check', '--kernel', 'spec', '--runs', '500', '--steps', '30', '--seed', '1', '--workers', '1', '--time-limit', '0.001', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.error).toMatch(/^--time-limit stopped the check after \d+ of 500 runs, fewer than --min-runs 500$/);
    const enough = run(['check', '--kernel', 'spec', '--runs', '500', '--steps', '30', '--seed', '1', '--workers', '1', '--time-limit', '0.001', '--min-runs', '0', '--json']);
    expect(enough.code).toBe(0);
    oneLine(['check', '--min-runs', '3'], '--min-runs goes with --time-limit');
  });

  it('list names refinement and every check; --only / --skip choose, and an unknown name is one line, exit 2', () => {
    const r = run(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^refinement\s+/);
    expect(r.stdout).toMatch(/^sym-refs\s+\S/m);
    expect(r.stdout).toMatch(/^contract-CNode_Mint\s+\S/m);
    oneLine(['check', '--only', 'no-such-check'], '--only: no invariant or contract "no-such-check"');
    oneLine(['check', '--skip', 'sym-refs,nope'], '--skip: no invariant or contract "nope"');
    const only = run(['check', '--kernel', 'spec', '--only', 'sym-refs', '--runs', '1', '--steps', '10', '--seed', '1', '--workers', '1', '--json']);
    expect(Object.keys(JSON.parse(only.stdout).checks)).toEqual(['sym-refs']);
  });

  it('l4check alone prints help (exit 0), --version the version, and a closed pipe ends quietly', () => {
    const help = run([]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: l4check');
    expect(run(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const sample = resolve('scenarios', readdirSync('scenarios').find((f) => f.endsWith('.json'))!);
    const piped = spawnSync('sh', ['-c', `node ${BIN} replay --json ${sample} | head -c 10`], { encoding: 'utf8' });
    expect(piped.status).toBe(0);
    expect(piped.stderr).toBe('');
  });
});

describe("a user's invariant and the corpus", () => {
  it('a user invariant that throws is that check failing, with its name and one line (exit 1), not an internal error', () => {
    const r = run(['check', '--kernel', 'spec', '--runs', '1', '--steps', '10', '--seed', '1', '--workers', '1', '--no-replay-failures', '--invariants', resolve('test/unit/cli/data/throws.ts'), '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.failure.check).toBe('my-buggy-invariant');
    expect(out.failure.evidence.threw).toMatch(/^TypeError: /);
  });

  it('the corpus is found from the project root, not the cwd; a corpus trace failing a user invariant does not stop the runs', () => {
    // A project of its own: package.json and regressions/ at the root, the check run from a subfolder.
    const project = mkdtempSync(join(tmpdir(), 'l4check-project-'));
    writeFileSync(join(project, 'package.json'), '{"name": "my-kernel-study", "private": true}');
    mkdirSync(join(project, 'regressions'));
    mkdirSync(join(project, 'notes'));
    copyFileSync(resolve('regressions/no-lost-messages-sender-copy.json'), join(project, 'regressions', 'sender-copy.json'));
    const r = spawnSync('node', [BIN, 'check', '--kernel', 'spec', '--runs', '2', '--steps', '30', '--seed', '2', '--workers', '1', '--no-replay-failures', '--invariants', INV, '--json'], { cwd: join(project, 'notes'), encoding: 'utf8' });
    const out = JSON.parse(r.stdout);
    expect(out.regressions.map((x: { file: string }) => x.file)).toEqual(['../regressions/sender-copy.json'.replace('../', join(project, '/'))]);
    expect(out.regressions.some((x: { ok: boolean; detail: string }) => !x.ok && x.detail.includes('no-blocked-senders failed'))).toBe(true);
    expect(out.runsRun).toBeGreaterThan(0);
    expect(r.status).toBe(1);
  });

  it('regress with nothing to run: one line, exit 2', () => {
    const r = run(['regress']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('nothing to run');
  });
});

describe('l4check merge', () => {
  it("sums the shards' events, unites their coverage, and is ok only when every shard is", () => {
    const reports = [1, 2].map((i) => {
      const r = run(['check', '--kernel', 'spec', '--runs', '4', '--steps', '20', '--seed', '9', '--workers', '1', '--shard', `${i}/2`, '--json', '--no-replay-failures']);
      const f = join(cwd, `shard${i}.json`);
      writeFileSync(f, r.stdout);
      return { f, out: JSON.parse(r.stdout) };
    });
    const m = run(['merge', '--json', ...reports.map((r) => r.f)]);
    expect(m.code).toBe(0);
    const out = JSON.parse(m.stdout);
    expect(out).toMatchObject({ ok: true, reports: 2, shards: ['1/2', '2/2'], seeds: [9], runsRun: 4 });
    expect(out.events).toBe(reports[0].out.events + reports[1].out.events);
    const rows = new Set([...Object.keys(reports[0].out.coverage), ...Object.keys(reports[1].out.coverage)]);
    expect(new Set(Object.keys(out.coverage))).toEqual(rows);
    const failed = join(cwd, 'failed.json');
    writeFileSync(failed, JSON.stringify({ ...reports[0].out, ok: false, checks: { ...reports[0].out.checks, 'sym-refs': 'fail' } }));
    const bad = JSON.parse(run(['merge', '--json', reports[1].f, failed]).stdout);
    expect(bad.ok).toBe(false);
    expect(bad.checks['sym-refs']).toBe('fail');
    const notReport = run(['merge', resolve('package.json')]);
    expect(notReport.code).toBe(2);
    expect(notReport.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('Ctrl-C', () => {
  it('prints a partial summary (seed, runs so far) and writes a partial JUnit file, exit 130', async () => {
    const xml = join(cwd, 'interrupted.xml');
    const child = spawn('node', [BIN, 'check', '--kernel', 'spec', '--runs', '100000', '--steps', '40', '--seed', '4', '--workers', '1', '--no-replay-failures', '--junit', xml], { cwd });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.stdout.on('data', (d) => {
      stdout += String(d);
      // Once the runs have started (the header is out), interrupt.
      if (stdout.includes('l4check check:')) setTimeout(() => child.kill('SIGINT'), 1500);
    });
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(code).toBe(130);
    expect(stripVTControlCharacters(stderr)).toMatch(/interrupted after [\d.]+ s: seed 4, \d+ of 100000 runs finished, [\d,]+ events checked/);
    expect(readFileSync(xml, 'utf8')).toContain('<testcase classname="l4check check (interrupted)" name="interrupted"><failure');
  });
});

describe('--invariants files are type-checked before the run', () => {
  it('a comparison that can never be true is a type error: one line, exit 2, for check and replay --check', () => {
    const file = resolve('test/unit/cli/data/never-true.ts');
    for (const args of [['check', '--runs', '1', '--invariants', file], ['replay', '--check', resolve('scenarios/ipc-call-nogrant.json'), '--invariants', file]]) {
      const r = run(args);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr.trim().split('\n'), args[0]).toHaveLength(1);
      expect(r.stderr, args[0]).toMatch(/never-true\.ts does not type-check: .*error TS2367/);
    }
  });
});
