// Runs the contract table as invariants: one Invariant per row, named as the row, so that
// MonitorSet, `check`, `replay --check`, `regress`, expectViolation and --invariants reporting
// treat a broken promise like any violated invariant. Every row of a step shares one decoding
// (decode.ts); a row whose subject the step is not costs a map lookup and a compare.

import type { Invariant, StepContext } from '../invariants/types';
import { decodeStep, succeeded } from './decode';
import { argumentsPresent, errorHalf } from './errors';
import type { Contract } from './types';

/** The row's verdict on one step (null: kept, or not its subject). */
export function judge(row: Contract, ctx: StepContext): unknown | null {
  if (row.kind === 'event') return row.check(ctx);
  const d = decodeStep(ctx);
  if (row.kind === 'syscall') return d.kind === 'syscall' && d.syscall === row.syscall ? row.check(d) : null;
  if (d.kind !== 'invocation' || d.method !== row.method) return null;
  const o = d.outcome;
  if (o.tag === 'unknown') return null;
  if (o.tag === 'replied' && o.error !== 'NoError') {
    return errorHalf(d, row.method, o.error) ?? row.error?.(d, o.error) ?? null;
  }
  if (!succeeded(d)) return null;
  return argumentsPresent(d, row.method) ?? row.success?.(d) ?? null;
}

export function contractInvariant(row: Contract): Invariant {
  return {
    name: row.name,
    doc: `${row.promise} (seL4 manual ${row.section})`,
    monitor: () => ({
      step: (ctx) => {
        const e = judge(row, ctx);
        return e === null || e === undefined ? null : { invariant: row.name, evidence: { section: row.section, ...(typeof e === 'object' ? e : { detail: e }) } };
      },
    }),
  };
}
