// The concrete kernel's capability tables against the spec's: the CSpace scenarios are replayed on
// both kernels in lockstep and after every step every non-empty slot of the impl (read from
// memory through the cap layouts) equals the spec's CTE (cap and MDB node), and the ghost object
// table lists the spec's objects. Covers retype, copy/mint/move/mutate/rotate, delete and revoke
// with seL4's deletion order, badged subtrees, reset.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTraceText } from '../../../../abi/trace';
import { bootKernel, stepKernel } from '../../../../impl';
import { bootState, setSpecFreeze, step } from '../../../../spec';
import { implCTEs, implObjectList, specObjectList } from './spec-view';

const SCENARIOS = [
  'cdt-badged-subtrees', 'cdt-delete-order', 'cnode-copy-mint', 'cnode-delete-revoke', 'cnode-lookup', 'cnode-move-rotate',
  'cnode-savecaller', 'untyped-retype', 'tcb-suspend-resume', 'ipc-cap-transfer', 'cdt-finalise', 'irq-notification', 'vspace-asid',
];

describe('CTEs and ghost objects agree with the spec after every step', () => {
  setSpecFreeze(false);
  for (const name of SCENARIOS) {
    it(name, () => {
      const trace = parseTraceText(readFileSync(`scenarios/${name}.json`, 'utf8'));
      let s = bootState(trace.config);
      const k = bootKernel(trace.config);
      for (let i = 0; i <= trace.events.length; i++) {
        if (i > 0) {
          const ev = trace.events[i - 1]!.event;
          s = step(s, ev, i).state;
          stepKernel(k, ev, i);
        }
        expect({ step: i, ctes: implCTEs(k) }).toEqual({ step: i, ctes: { ...s.ctes } });
        expect({ step: i, objects: implObjectList(k) }).toEqual({ step: i, objects: specObjectList(s) });
      }
    });
  }
});
