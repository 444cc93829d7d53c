// Message info words and message registers of the concrete kernel: the info word round-trips
// through its abi layout (length clamped to 120 as seL4 decodes it); setMR/getMR put MR0..3 in
// r2..r5 and the rest in the IPC buffer, and cut at four words without a buffer.

import { fc, test } from '@fast-check/vitest';
import { expect, it, vi } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { messageInfoFromWord, wordFromMessageInfo } from '../../../../abi/messageinfo';
import { MSG_REGISTERS } from '../../../../abi/registers';
import { Kernel } from '../../../../impl/model/state';
import * as X from '../../../../impl/kernel/transfer';
import { getRegister } from '../../../../impl/object/tcb-fields';

vi.mock('../../../../impl/kernel/vspace', () => ({ setVMRoot: () => undefined, lookupIPCBuffer: () => 0 }));

const k = new Kernel({ ...defaultConfig(), memoryBits: 22, untyped: [] });
const T = 0x00200000;
const BUF = 0x00201000;

test.prop([fc.nat({ max: 0xfffff }), fc.nat({ max: 7 }), fc.nat({ max: 3 }), fc.nat({ max: 127 })], { seed: 0x1f0 })(
  'message info words round-trip',
  (label, capsUnwrapped, extraCaps, length) => {
    const w = X.messageInfoWord(label, capsUnwrapped, extraCaps, length);
    expect(w).toBe(wordFromMessageInfo({ label, capsUnwrapped, extraCaps, length }));
    expect(messageInfoFromWord(w)).toEqual({ label, capsUnwrapped, extraCaps, length });
    expect(X.miLabel(w)).toBe(label);
    expect(X.miLength(w)).toBe(Math.min(length, 120));
    expect(X.miLengthRaw(w)).toBe(length);
  },
);

test.prop([fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 120 })], { seed: 0x1f1 })('setMRs / getMessageWords with a buffer', (words) => {
  expect(X.setMRs(k, T, BUF, words)).toBe(words.length);
  expect(X.getMessageWords(k, T, BUF, words.length)).toEqual(words);
  words.slice(0, 4).forEach((w, i) => expect(getRegister(k, T, MSG_REGISTERS[i]!)).toBe(w));
});

it('without a buffer only the four register words exist', () => {
  expect(X.setMRs(k, T, 0, [1, 2, 3, 4, 5, 6])).toBe(4);
  expect(X.getMessageWords(k, T, 0, 6)).toEqual([1, 2, 3, 4]);
  expect(X.setMRs(k, T, 0, [7, 8])).toBe(2);
});
