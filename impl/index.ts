// The concrete kernel's public surface.
export { bootKernel } from './kernel/boot';
export { stepKernel, applyEvent, EVENT_SKIPPED, EVENT_DONE } from './api/event';
export { observeKernel } from './api/observation';
export { Kernel } from './model/state';
