/** The modeled machine: see docs/machine.md. machine/ imports nothing of the project. */

export { Machine, DEFAULT_MACHINE_OPTIONS, type MachineOptions, type MachineSnapshot } from './machine';
export { MachineException, type MachineExceptionKind } from './exception';
export { PhysicalMemory, LINE_BYTES, DIRTY_CHUNK_BYTES, DIRTY_CHUNK_BITS } from './memory';
export { Counters, COUNTER_NAMES, zeroCounters, type CounterName, type CounterValues } from './counters';
export { Cpu, Reg, REGISTER_COUNT, REGISTER_NAMES, USER_CONTEXT_ORDER, type CpuMode } from './cpu';
export { Mmu, FSR, type Translation } from './mmu';
export { Tlb, ASID_LIMIT, type TlbEntryView } from './tlb';
export { InterruptController, TIMER_IRQ, NO_IRQ } from './interrupts';
export {
  defineLayout,
  encode,
  decode,
  matches,
  field,
  getField,
  setField,
  fieldMask,
  type FieldSpec,
  type Layout,
  type FieldValues,
} from './layout';
export * from './descriptors';
