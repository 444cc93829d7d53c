// A researcher's invariant with a comparison that can never be true: a type error, refused before the run.
import { stateInvariant } from '../../../../properties/invariants/types';
export default [
  stateInvariant('never-true', 'compares with a state that does not exist', (s) => {
    for (const o of Object.values(s.objects)) if (o.tag === 'TCB' && o.state.tag === 'Blocked') return {};
    return null;
  }),
];
