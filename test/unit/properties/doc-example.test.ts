// The example invariant of docs/invariants.md, as a user writes it (importing 'l4check/properties'),
// type-checks, loads and holds under `check --invariants`: the docs' example must stay true.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';

const dir = '.doc-tmp';
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("docs/invariants.md's example invariant type-checks and holds on the default world", () => {
  const doc = readFileSync('docs/invariants.md', 'utf8');
  const block = /```ts\n(\/\/ my-invariants\.ts\n[\s\S]*?)```/.exec(doc)?.[1];
  expect(block).toContain("from 'l4check/properties'");
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/my-invariants.ts`, block!);
  const r = spawnSync('node', ['bin/l4check.js', 'check', '--kernel', 'spec', '--runs', '2', '--steps', '40', '--seed', '1', '--workers', '1', '--no-regressions', '--no-replay-failures', '--invariants', `${dir}/my-invariants.ts`, '--json'], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  const out = JSON.parse(r.stdout);
  expect(out.ok).toBe(true);
  expect(out.checks['idle-keeps-priority-0']).toBe('pass');
}, 60_000);
