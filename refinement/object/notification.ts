// absNotification: state, intrusive waiter queue, word and bound TCB.

import { field, getField } from '../../machine';
import type { Notification, NotificationState } from '../../spec/object/structures';
import type { Kernel } from '../../impl';
import { NOTIFICATION_LAYOUT, NTFN_STATE, TCB_WORD } from '../../impl/object/structures';
import { walkQueue } from './endpoint';

const W = NOTIFICATION_LAYOUT.words;
const STATE = field(W[0], 'state');
const TAIL = field(W[0], 'ntfnQueue_tail');
const HEAD = field(W[1], 'ntfnQueue_head');
const BOUND = field(W[3], 'ntfnBoundTCB');
const STATE_NAME: Record<number, NotificationState> = { [NTFN_STATE.Idle]: 'Idle', [NTFN_STATE.Waiting]: 'Waiting', [NTFN_STATE.Active]: 'Active' };

export function absNotification(k: Kernel, n: number, problem: (what: string) => void): Notification {
  const w0 = k.m.peek32(n);
  const state = STATE_NAME[getField(w0, STATE)];
  if (state === undefined) problem(`notification state ${getField(w0, STATE)} is not a state`);
  const bound = getField(k.m.peek32(n + 12), BOUND);
  return {
    tag: 'Notification',
    state: state ?? 'Idle',
    queue: walkQueue(k, getField(k.m.peek32(n + 4), HEAD), getField(w0, TAIL), TCB_WORD.epNext, TCB_WORD.epPrev, problem),
    word: k.m.peek32(n + 8),
    boundTCB: bound === 0 ? null : bound,
  };
}
