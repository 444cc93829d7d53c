// The abstract kernel's public surface.
export { bootState } from './kernel/boot';
export { step, setSpecFreeze, type StepResult } from './api/event';
export { observe, observeBoot } from './api/observation';
export type { KernelState } from './model/state';
export { KernelBug } from './model/state';
