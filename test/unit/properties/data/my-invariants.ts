// A researcher's invariant file, as `--invariants FILE` loads it (used by loader.test.ts).
import { stateInvariant } from '../../../../properties/invariants/types';

export default [
  stateInvariant('root-keeps-priority-255', 'the root thread never changes its priority', (s) => {
    for (const k of Object.keys(s.objects)) {
      const o = s.objects[Number(k)];
      if (o.tag === 'TCB' && o.name === 'root' && o.priority !== 255) return { priority: o.priority };
    }
    return null;
  }),
];
