// The two kernels behind one small interface, so that replay, the checker and benchmarks can run
// either (refinement/ is the only layer that sees both).

import type { Config } from '../abi/config';
import type { KernelEvent, Observation } from '../abi/events';
import { bootInfoObservation } from '../abi/boot';
import { type KernelState, bootState, observeBoot, step } from '../spec';
import type { Kernel } from '../impl';
import type { Machine } from '../machine';

type ImplModule = typeof import('../impl');

export type KernelName = 'spec' | 'impl';

export interface KernelRunner {
  readonly name: KernelName;
  /** The observation of step 0. */
  boot(): Observation;
  step(event: KernelEvent, stepNo: number): Observation;
}

export class SpecRunner implements KernelRunner {
  readonly name = 'spec';
  state: KernelState;
  constructor(readonly config: Config) {
    this.state = bootState(config);
  }
  boot(): Observation {
    return observeBoot(this.state);
  }
  step(event: KernelEvent, stepNo: number): Observation {
    const r = step(this.state, event, stepNo);
    this.state = r.state;
    return r.observation;
  }
}

export class ImplRunner implements KernelRunner {
  readonly name = 'impl';
  readonly kernel: Kernel;
  /**
   * Boots the impl; on `machine` (e.g. a finished runner's `kernel.m`, same config) after a
   * power-on reset instead of a new machine — a new one costs milliseconds to allocate and zero.
   * The runner that machine came from must not be stepped again.
   */
  constructor(private readonly impl: ImplModule, readonly config: Config, machine?: Machine) {
    this.kernel = impl.bootKernel(config, machine);
  }
  boot(): Observation {
    const o = this.impl.observeKernel(this.kernel, 0);
    return { step: 0, bootinfo: bootInfoObservation(this.config), current: o.current, threads: o.threads };
  }
  step(event: KernelEvent, stepNo: number): Observation {
    return this.impl.stepKernel(this.kernel, event, stepNo);
  }
  /** The event without building its observation (for runs that do not look at observations). */
  apply(event: KernelEvent): void {
    this.impl.applyEvent(this.kernel, event);
  }
}

/** The impl module, loaded on first use (so that the spec runs on its own). */
export async function loadImpl(): Promise<ImplModule> {
  return import('../impl');
}

/** A runner of the named kernel; the impl runner needs the loaded impl module. */
export function makeRunner(name: KernelName, config: Config, impl?: ImplModule): KernelRunner {
  if (name === 'spec') return new SpecRunner(config);
  if (!impl) throw new Error('makeRunner: the impl module is not loaded (loadImpl)');
  return new ImplRunner(impl, config);
}
