// A run keeps only what it holds: what the spec records about how a table was made (for
// differingKeys) and the invariants' memo of a step's changes must not keep earlier states alive.
// Each once held the previous table or state, a chain back to boot (~7 KB per event).

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { ipcWorkload } from '../../../../bench/kernels';
import { step } from '../../../../spec/api/event';
import { bootState } from '../../../../spec/kernel/boot';
import { differingKeys } from '../../../../spec/model/state';
import { stepChanges } from '../../../../properties/invariants/changes';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('spec state memory', () => {
  it('an early state is collected once nobody holds it, after steps whose changes were asked for', async () => {
    const events = ipcWorkload(100);
    let s = bootState(defaultConfig());
    let early: WeakRef<object> | undefined;
    let asked = 0;
    for (let i = 0; i < events.length; i++) {
      const next = step(s, events[i], i + 1).state;
      // What the invariants and the refinement ask each step: the memo and the written keys are filled.
      asked += stepChanges(s, next).objects.length + differingKeys(s.ctes, next.ctes).length;
      if (i === 5) early = new WeakRef(next.objects);
      s = next;
    }
    expect(asked).toBeGreaterThan(0);
    // WeakRef targets live until the current job ends.
    await new Promise((r) => setTimeout(r, 0));
    gc();
    expect(early!.deref()).toBeUndefined();
    expect(s.objects).toBeDefined();
  });
});
