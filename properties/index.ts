// The public API for researchers' own tests (`import { ... } from 'l4check/properties'`): the
// invariants and their types, the trace generators, replay, and helpers that run invariants over a
// trace. A test with @fast-check/vitest, for instance:
//
//   import { test, fc } from '@fast-check/vitest';
//   import { ALL_INVARIANTS, checkTraceSpec, parseTrace, setupEvents, arbEvent } from 'l4check/properties';
//   test.prop([fc.array(arbEvent({ irqLines: 32 }), { maxLength: 100 })])('my invariants hold', (events) => {
//     const trace = parseTrace({ format: 'l4check-trace/1', config: {}, events: [...setupEvents(), ...events] });
//     return checkTraceSpec(trace, [...ALL_INVARIANTS, myInvariant]).violation === null;
//   });

export * from './invariants';
export * from './generators';
export { ALL_CONTRACTS, CONTRACT_TABLE, type Contract } from './contracts';
export { ALL_CHECKS } from './checks';
export { checkTrace, type CheckTraceOptions, type CheckTraceResult } from './check/trace';
export type { CheckFailure } from './check/steppers';
export { replay, replaySpec, describeFailure, type ReplayOptions, type ReplayResult, type ReplayFailure, type ObservationLine } from './replay';
export { parseTrace, parseTraceText, TraceError, type Trace, type ConfigOverrides } from '../abi/trace';
export { PLATFORMS, PLATFORM_NAMES, applyPlatform, defaultConfig, timerIrq, type Config, type IrqConfig, type PlatformName } from '../abi/config';
export type { KernelState } from '../spec';
export type { KernelEvent, Observation, TraceEvent } from '../abi/events';
