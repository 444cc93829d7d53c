// absEndpoint: an endpoint's state word and the intrusive TCB queue threaded through the TCBs'
// epNext/epPrev words, walked back into the spec's list. The walk checks the list is a
// well-formed doubly linked list ending at the recorded tail (an impl-only invariant).

import { field, getField } from '../../machine';
import type { Endpoint, EndpointState } from '../../spec/object/structures';
import type { Kernel } from '../../impl';
import { ENDPOINT_LAYOUT, EP_STATE, TCB_WORD } from '../../impl/object/structures';
import { tcbWord } from './tcb';

const STATE = field(ENDPOINT_LAYOUT.words[0], 'state');
const TAIL = field(ENDPOINT_LAYOUT.words[0], 'epQueue_tail');
const HEAD = field(ENDPOINT_LAYOUT.words[1], 'epQueue_head');
const STATE_NAME: Record<number, EndpointState> = { [EP_STATE.Idle]: 'Idle', [EP_STATE.Send]: 'Send', [EP_STATE.Recv]: 'Recv' };

/**
 * The TCBs of an intrusive queue from head to tail. Problems (asymmetric links, a wrong tail,
 * a cycle) are reported through `problem` with the object's address.
 */
export function walkQueue(
  k: Kernel, head: number, tail: number, nextWord: number, prevWord: number, problem: (what: string) => void,
): number[] {
  const out: number[] = [];
  let prev = 0;
  const limit = k.objects.size + 1;
  for (let t = head; t !== 0; t = tcbWord(k, t, nextWord)) {
    if (out.length > limit) {
      problem('queue does not end (a cycle)');
      break;
    }
    if (k.objects.get(t)?.type !== 'TCB') problem(`queue entry 0x${t.toString(16)} is not a TCB`);
    if (tcbWord(k, t, prevWord) !== prev) problem(`queue entry 0x${t.toString(16)}: prev link is 0x${tcbWord(k, t, prevWord).toString(16)}, expected 0x${prev.toString(16)}`);
    out.push(t);
    prev = t;
  }
  if (prev !== tail) problem(`queue tail is 0x${tail.toString(16)}, the walk ends at 0x${prev.toString(16)}`);
  return out;
}

export function absEndpoint(k: Kernel, ep: number, problem: (what: string) => void): Endpoint {
  const w0 = k.m.peek32(ep);
  const w1 = k.m.peek32(ep + 4);
  const state = STATE_NAME[getField(w0, STATE)];
  if (state === undefined) problem(`endpoint state ${getField(w0, STATE)} is not a state`);
  const queue = walkQueue(k, getField(w1, HEAD), getField(w0, TAIL), TCB_WORD.epNext, TCB_WORD.epPrev, problem);
  return { tag: 'Endpoint', state: state ?? 'Idle', queue };
}
