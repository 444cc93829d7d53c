// The path a new user takes after a failure, end to end: `npm pack` the project, install the
// tarball into a fresh project (its dependencies linked from ours: the tests run offline), put a
// failing counterexample where check's printed vitest snippet says, paste the snippet as a test:
// it fails; fix the bug (here: the variant whose scheduler the counterexample caught) and it
// passes. The snippet is the one check prints (vitestSnippet), not a copy.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vitestSnippet } from '../properties/check/report';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };

describe('the packed package in a fresh project', () => {
  it("check's vitest snippet fails on the counterexample until the bug is fixed", () => {
    const dir = mkdtempSync(join(tmpdir(), 'l4check-fresh-'));
    execFileSync('npm', ['pack', '--pack-destination', dir, '--silent'], { stdio: 'pipe' });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    const home = join(dir, 'node_modules', 'l4check');
    mkdirSync(home, { recursive: true });
    execFileSync('tar', ['-xzf', join(dir, tarball), '-C', home, '--strip-components=1']);
    for (const d of [...Object.keys(pkg.dependencies), 'vitest']) symlinkSync(resolve('node_modules', d), join(dir, 'node_modules', d));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fresh', type: 'module', private: true }));

    // A counterexample as check writes one (no expectViolation): lazy scheduling fails bounded-scheduler.
    const trace = JSON.parse(readFileSync('regressions/lazy-bounded-scheduler.json', 'utf8'));
    delete trace.expectViolation;
    mkdirSync(join(dir, 'regressions'));
    mkdirSync(join(dir, 'test'));
    const snippet = vitestSnippet('counterexamples/lazy.json', 'bounded-scheduler');
    writeFileSync(join(dir, 'test', 'regression-lazy.test.ts'), snippet);
    const vitest = () => spawnSync(process.execPath, [join(dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: '1', FORCE_COLOR: '0' } });

    writeFileSync(join(dir, 'regressions', 'lazy.json'), JSON.stringify(trace));
    const failing = vitest();
    expect(failing.status, failing.stdout + failing.stderr).toBe(1);
    expect(failing.stdout + failing.stderr).toContain("expected 'bounded-scheduler' to be undefined");

    trace.config.variant.scheduler = 'benno';
    writeFileSync(join(dir, 'regressions', 'lazy.json'), JSON.stringify(trace));
    const fixed = vitest();
    expect(fixed.status, fixed.stdout + fixed.stderr).toBe(0);
  }, 120_000);
});
