// A researcher's invariant that the model breaks at once (a thread blocked sending is normal seL4):
// the failing check of test/unit/cli/check.test.ts.
import { stateInvariant } from '../../../../properties/invariants/types';

export default [
  stateInvariant('no-blocked-senders', 'no thread is ever blocked sending', (s) => {
    for (const k of Object.keys(s.objects)) {
      const o = s.objects[Number(k)];
      if (o.tag === 'TCB' && o.state.tag === 'BlockedOnSend') return { thread: o.name ?? k };
    }
    return null;
  }),
];
