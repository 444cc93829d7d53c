// The pending fault kept in the TCB's four fault words round-trips for every fault and lookup
// failure seL4 can record, and NullFault reads back as no fault.

import { fc, test } from '@fast-check/vitest';
import { expect, it, vi } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import type { Fault, LookupFailure } from '../../../../impl/api/failures';
import { Kernel } from '../../../../impl/model/state';
import { loadFault, storeFault } from '../../../../impl/kernel/faulthandler';
import { clearFault } from '../../../../impl/object/tcb-fields';

vi.mock('../../../../impl/kernel/vspace', () => ({ setVMRoot: () => undefined, lookupIPCBuffer: () => 0 }));

const k = new Kernel({ ...defaultConfig(), memoryBits: 22, untyped: [] });
const T = 0x00200000;
const u32 = fc.nat({ max: 0xffffffff });
const bits = fc.nat({ max: 32 });

const arbLookupFailure: fc.Arbitrary<LookupFailure> = fc.oneof(
  fc.constant({ tag: 'InvalidRoot' as const }),
  fc.record({ tag: fc.constant('MissingCapability' as const), bitsLeft: bits }),
  fc.record({ tag: fc.constant('DepthMismatch' as const), bitsLeft: bits, bitsFound: bits }),
  fc.record({ tag: fc.constant('GuardMismatch' as const), bitsLeft: bits, guardFound: u32, guardSize: fc.nat({ max: 31 }) }),
);

const arbFault: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ tag: fc.constant('CapFault' as const), address: u32, inReceivePhase: fc.boolean(), failure: arbLookupFailure }),
  fc.record({ tag: fc.constant('UnknownSyscall' as const), number: u32 }),
  fc.record({ tag: fc.constant('UserException' as const), number: u32, code: u32 }),
  fc.record({ tag: fc.constant('VMFault' as const), address: u32, fsr: u32, instruction: fc.boolean() }),
);

test.prop([arbFault], { seed: 0xfa17 })('storeFault / loadFault round-trip', (f) => {
  storeFault(k, T, f);
  expect(loadFault(k, T)).toEqual(f);
});

it('a cleared fault reads as none', () => {
  storeFault(k, T, { tag: 'UnknownSyscall', number: 9 });
  clearFault(k, T);
  expect(loadFault(k, T)).toBeNull();
});
