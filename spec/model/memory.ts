// User memory: frame contents live in the Frame objects of the state (sparse, zero by default),
// so that load/store, IPC buffers and the kernel's physical accesses all agree.

import type { PPtr } from '../api/types';
import type { KernelState } from './state';
import { getObject, readObject } from './state';

/** Reads the word at byte offset `offset` of the frame at `frame`. */
export function loadFrameWord(s: KernelState, frame: PPtr, offset: number): number {
  return readObject(s, frame, 'Frame').words[offset >>> 2] ?? 0;
}

/** Writes the word at byte offset `offset` of the frame at `frame` (zero words are not stored). */
export function storeFrameWord(s: KernelState, frame: PPtr, offset: number, value: number): void {
  const i = offset >>> 2;
  // An unchanged word is not written: a write takes (copies) the frame.
  const now = readObject(s, frame, 'Frame').words[i];
  if (value === 0 ? now === undefined : now === value >>> 0) return;
  const words = getObject(s, frame, 'Frame').words;
  if (value === 0) delete words[i];
  else words[i] = value >>> 0;
}
