// Every invariant of DESIGN §4, and the loader of a researcher's own (`--invariants FILE`).
// The groups: capability integrity (capability.ts), no lost messages (messages.ts), the bounded
// scheduler (scheduler.ts), seL4's structural invariants (structural.ts). docs/invariants.md has
// one section per invariant.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Invariant } from './types';
import { ALL_INVARIANTS } from './all';
import { ALL_CONTRACTS } from '../contracts';

export * from './types';
export * from './capability';
export * from './messages';
export * from './scheduler';
export * from './structural';
export * from './references';
export { setFullCheckInterval, stepChanges, incrementalInvariant, type StateInvariant, type StepChanges } from './changes';
export { MonitorSet, checkTraceSpec, checkTraceChecked, entryCost, type InvariantRun, type StepViolation } from './run';

export { ALL_INVARIANTS } from './all';

export function invariantByName(name: string): Invariant | undefined {
  return ALL_INVARIANTS.find((i) => i.name === name);
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

function isInvariant(x: unknown): x is Invariant {
  const i = x as Invariant;
  return typeof i === 'object' && i !== null && typeof i.name === 'string' && typeof i.doc === 'string' && typeof i.monitor === 'function' && (i.skipWhen === undefined || typeof i.skipWhen === 'function');
}

/**
 * Loads a researcher's invariants from a .ts or .js module (`--invariants FILE`): its default
 * export or its `invariants` export must be an Invariant[] with kebab-case names that do not
 * clash with each other or with ALL_INVARIANTS. Any problem is one Error naming the file.
 */
export async function loadInvariantsFile(path: string): Promise<Invariant[]> {
  const abs = resolve(path);
  const fail = (what: string): never => {
    throw new Error(`${path}: ${what}`);
  };
  if (!/\.(ts|mts|js|mjs)$/.test(abs)) fail('expected a .ts or .js module');
  if (!existsSync(abs)) fail('no such file');
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (e) {
    return fail(`cannot load: ${(e as Error).message.split('\n')[0]}`);
  }
  const list = mod.invariants ?? mod.default;
  if (list === undefined) fail('exports no invariants (expected `export default [...]` or `export const invariants = [...]`)');
  if (!Array.isArray(list)) fail('its invariants export is not an array');
  const seen = new Set([...ALL_INVARIANTS, ...ALL_CONTRACTS].map((i) => i.name));
  (list as unknown[]).forEach((v, i) => {
    if (!isInvariant(v)) return fail(`invariants[${i}] is not an Invariant (needs name, doc and monitor())`);
    const x: Invariant = v;
    if (!NAME.test(x.name)) fail(`invariants[${i}]: name "${x.name}" is not kebab-case`);
    if (seen.has(x.name)) fail(`invariants[${i}]: name "${x.name}" is already taken`);
    seen.add(x.name);
  });
  return list as Invariant[];
}
