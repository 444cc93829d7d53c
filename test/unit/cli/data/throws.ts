// A researcher's invariant with a bug of its own: it throws on the first step.
import { stateInvariant } from '../../../../properties/invariants/types';

export default [
  stateInvariant('my-buggy-invariant', 'reads a field that is not there', (s) => {
    const o = s.objects[-1] as unknown as { tag: string };
    return o.tag === 'x' ? {} : null;
  }),
];
