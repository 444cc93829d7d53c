// The mutant registry and `l4check mutants`: every mutant applies to today's sources and is of the
// class its patches make it; a mutant exists only in its copy of the project; the command kills a
// known mutant on a small budget and its counterexample replays only there.

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../run-cli';
import { MUTANTS, MUTANT_MARKER, PROJECT_ROOT, activeMutant, classOfPatches, materialise, mutantByName, mutantDir, mutatedFiles, registryProblems, snapshot, type Mutant } from '../../../mutants';

const run = (args: string[]) => runCli(args);

const lifo = mutantByName('ep-dequeue-tail')!;

describe('the registry', () => {
  it('every mutant has a unique kebab-case name, its declared class, and patches that apply exactly once', () => {
    expect(registryProblems()).toEqual([]);
  });

  it('a patch whose text is missing or ambiguous is refused, naming the mutant and the file', () => {
    const missing: Mutant = { ...lifo, name: 'x', patches: [{ file: 'spec/object/endpoint.ts', find: 'no such text', replace: 'y' }] };
    expect(() => mutatedFiles(missing)).toThrow('mutant x: patches[0]: the text to replace occurs 0 times in spec/object/endpoint.ts');
    const twice: Mutant = { ...lifo, name: 'x', patches: [{ file: 'spec/object/endpoint.ts', find: 'epo.queue', replace: 'y' }] };
    expect(() => mutatedFiles(twice)).toThrow(/occurs \d+ times/);
    expect(registryProblems([{ ...lifo, class: 'both' }])).toEqual(['ep-dequeue-tail: declared both, but its patches make it spec']);
  });

  it('the class follows the directories patched', () => {
    const p = (file: string) => ({ file, find: 'a', replace: 'b' });
    expect(classOfPatches({ ...lifo, patches: [p('impl/object/endpoint.ts'), p('machine/tlb.ts')] })).toBe('impl');
    expect(classOfPatches({ ...lifo, patches: [p('spec/a.ts'), p('impl/a.ts')] })).toBe('both');
    expect(classOfPatches({ ...lifo, patches: [p('properties/checks.ts')] })).toBeUndefined();
  });

  it('no mutant is active in the project itself: no marker, and no patched text in its sources', () => {
    expect(activeMutant()).toBeUndefined();
    expect(existsSync(join(PROJECT_ROOT, MUTANT_MARKER))).toBe(false);
    for (const m of MUTANTS) for (const p of m.patches) expect(readFileSync(join(PROJECT_ROOT, p.file), 'utf8')).toContain(p.find);
  });

  it("a run's snapshot: the mutant's copy is made from it, not from the project as it is meanwhile", () => {
    const base = snapshot();
    try {
      expect(existsSync(join(base, 'test'))).toBe(false);
      writeFileSync(join(base, 'spec/object/endpoint.ts'), readFileSync(join(base, 'spec/object/endpoint.ts'), 'utf8') + '\n// edited in the snapshot\n');
      const dir = materialise(lifo, PROJECT_ROOT, true, undefined, base);
      const text = readFileSync(join(dir, 'spec/object/endpoint.ts'), 'utf8');
      expect(text).toContain('// edited in the snapshot');
      expect(text).toContain('epo.queue.pop()');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it("a mutant's copy has the patched sources, the marker, and the project's node_modules", () => {
    const dir = materialise(lifo);
    expect(dir).toBe(mutantDir(lifo));
    expect(activeMutant(dir)).toBe('ep-dequeue-tail');
    expect(readFileSync(join(dir, 'spec/object/endpoint.ts'), 'utf8')).toContain('epo.queue.pop()');
    expect(readFileSync(join(PROJECT_ROOT, 'spec/object/endpoint.ts'), 'utf8')).not.toContain('epo.queue.pop()');
    expect(existsSync(join(dir, 'node_modules', 'fast-check'))).toBe(true);
  });
});

describe('l4check mutants', () => {
  it('kills ep-dequeue-tail on a small budget, names the check, and its counterexample replays only in the copy', () => {
    const r = run(['mutants', '--only', 'ep-dequeue-tail', '--no-regressions', '--check-args', '--runs 5', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.score).toEqual({ impl: '0/0', spec: '1/1', both: '0/0' });
    expect(out.mutants).toHaveLength(1);
    expect(out.mutants[0]).toMatchObject({ name: 'ep-dequeue-tail', class: 'spec', area: 'ipc', killed: true, by: 'refinement' });
    expect(out.mutants[0].shrunkEvents).toBeLessThanOrEqual(20);
    const dir = join(mutantDir(lifo), 'counterexamples');
    const file = join(dir, readdirSync(dir)[0]);
    expect(JSON.parse(readFileSync(file, 'utf8')).config.mutant).toBe('ep-dequeue-tail');
    expect(run(['replay', '--check', file]).code).toBe(2);
    const replayed = run(['replay', '--check', '--allow-mutant', file]);
    expect(replayed.code).toBe(1);
    expect(replayed.stderr).toContain('refinement');
  }, 180_000);

  it('bad options: one line, exit 2', () => {
    for (const args of [['--only', 'no-such-mutant'], ['--class', 'kernel'], ['--seed', 'x'], ['--workers', '0']]) {
      const r = run(['mutants', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('replay --allow-mutant of a trace naming an unknown mutant: one line, exit 2', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'l4check-mut-')), 'unknown.json');
    writeFileSync(file, JSON.stringify({ format: 'l4check-trace/1', config: { mutant: 'no-such-mutant' }, events: [{ tick: 1 }] }));
    const r = run(['replay', '--allow-mutant', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('config.mutant: unknown mutant "no-such-mutant"');
  });

  it('--list names every mutant with its class and area', () => {
    const r = run(['mutants', '--list']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(MUTANTS.length);
    expect(r.stdout).toMatch(/^ep-dequeue-tail\s+spec\s+ipc\s+/m);
  });
});
