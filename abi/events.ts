// Events (what the machine does next) and observations (what the user sees after each event),
// as trace-format.md defines them. Both kernels consume Event and produce Observation.

import type { ErrorName } from './errors';
import type { MessageInfo } from './messageinfo';
import type { MethodName } from './invocations';

export interface ReceiveSlot {
  root: number;
  index: number;
  depth: number;
}

/** A trap into the kernel. `invoke` events arrive here already marshalled (method is kept for reports). */
export interface SyscallEvent {
  tag: 'syscall';
  /** The syscall register (r7) as a u32. */
  number: number;
  cap: number;
  /** The message-info word (r1). */
  info: number;
  /** Message words as given: [0..3] go to r2..r5, the rest to the IPC buffer. */
  mrs: number[];
  /** Extra cap pointers written to the IPC buffer, when the event gives them. */
  extraCaps?: number[];
  /** Receive slot written to the IPC buffer (all 0 when the event gives none). */
  receive: ReceiveSlot;
  method?: MethodName;
}

export interface DebugNameEvent {
  tag: 'debugName';
  cap: number;
  name: string;
}

export interface LoadEvent {
  tag: 'load';
  vaddr: number;
}

export interface StoreEvent {
  tag: 'store';
  vaddr: number;
  value: number;
}

export interface ExceptionEvent {
  tag: 'exception';
  code: number;
}

export interface IrqEvent {
  tag: 'irq';
  line: number;
}

export interface TickEvent {
  tag: 'tick';
  count: number;
}

export type KernelEvent = SyscallEvent | DebugNameEvent | LoadEvent | StoreEvent | ExceptionEvent | IrqEvent | TickEvent;

/** An event of a trace file: the kernel event plus the runner's `as` assertion. */
export interface TraceEvent {
  event: KernelEvent;
  as?: string;
  /** The event as written in the file, for reports. */
  raw: unknown;
}

export const THREAD_STATES = [
  'Inactive',
  'Running',
  'Restart',
  'BlockedOnReceive',
  'BlockedOnSend',
  'BlockedOnReply',
  'BlockedOnNotification',
  'Idle',
] as const;

export type ThreadStateName = (typeof THREAD_STATES)[number];

export interface ThreadObservation {
  state: ThreadStateName;
  priority?: number;
  badge?: number;
  info?: MessageInfo;
  mrs?: number[];
  error?: ErrorName;
  loaded?: number;
}

export interface BootInfoObservation {
  untyped: { slot: number; paddr: number; sizeBits: number }[];
  empty: [number, number];
}

export interface Observation {
  step: number;
  current: string;
  threads: Record<string, ThreadObservation>;
  skipped?: true;
  bootinfo?: BootInfoObservation;
}

/** Keys the observation format has, for validating `expect` blocks. */
export const OBSERVATION_KEYS = ['step', 'current', 'threads', 'skipped', 'bootinfo', 'divergence', 'violation'] as const;
export const THREAD_OBSERVATION_KEYS = ['state', 'priority', 'badge', 'info', 'mrs', 'error', 'loaded'] as const;
export const INFO_KEYS = ['label', 'capsUnwrapped', 'extraCaps', 'length'] as const;

/** How a thread is named in observations when no DebugNameThread named it. */
export function defaultThreadName(tcbBase: number): string {
  return 'tcb@0x' + tcbBase.toString(16).padStart(8, '0');
}

export const THREAD_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,31}$/;
