// The boot configuration of a trace file (trace-format.md "config"), with its defaults.

export interface UntypedRegion {
  paddr: number;
  sizeBits: number;
}

export interface Variant {
  scheduler: 'benno' | 'lazy';
  fastpath: boolean;
}

/**
 * A platform's interrupt layout: its number of lines (seL4 maxIRQ + 1) and the line of the
 * kernel's timer, which seL4's init_irqs sets to IRQTimer at boot. `fixedLines`: whether the line
 * count is the platform's own (maxIRQ is a constant of seL4's platform build), so that a trace may
 * not choose another with `config.irqLines`.
 */
export interface PlatformProfile {
  readonly irqLines: number;
  readonly timerIrq: number;
  readonly fixedLines: boolean;
}

/**
 * The platforms a trace can name in `config.platform` (trace-format.md). `default` is the model's
 * own layout (any line count 2..256, the timer on line 0). `qemu-arm-virt` is the platform of the
 * real-kernel recordings: seL4 1326364b src/plat/qemu-arm-virt/config.cmake declares MAX_IRQ 159,
 * and tools/hardware.yml takes the ARM generic timer's interrupt index 2 (the virtual timer, PPI 11
 * = line 27 of QEMU virt's device tree) as KERNEL_TIMER_IRQ without hypervisor support.
 */
export const PLATFORMS = {
  default: { irqLines: 32, timerIrq: 0, fixedLines: false },
  'qemu-arm-virt': { irqLines: 160, timerIrq: 27, fixedLines: true },
} as const satisfies Record<string, PlatformProfile>;

export type PlatformName = keyof typeof PLATFORMS;
export const PLATFORM_NAMES = Object.keys(PLATFORMS) as PlatformName[];
export const DEFAULT_PLATFORM: PlatformName = 'default';

export function isPlatformName(v: unknown): v is PlatformName {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(PLATFORMS, v);
}

/** What interrupt code needs of a config: the line count and the platform (its timer line; default when absent). */
export type IrqConfig = Pick<Config, 'irqLines'> & Partial<Pick<Config, 'platform'>>;

/** The line of the kernel's timer (IRQTimer) on the config's platform. */
export function timerIrq(c: Partial<Pick<Config, 'platform'>>): number {
  return PLATFORMS[c.platform ?? DEFAULT_PLATFORM].timerIrq;
}

/** Whether `line` is a device line of the config: an existing line that is not the timer's. */
export function isDeviceLine(c: IrqConfig, line: number): boolean {
  return Number.isInteger(line) && line >= 0 && line < c.irqLines && line !== timerIrq(c);
}

/**
 * Why `irqLines` cannot be used with `platform`, or null when it can: a platform with its own
 * line count takes no other, and the timer's line must exist.
 */
export function platformLinesProblem(platform: PlatformName, irqLines: number): string | null {
  const p = PLATFORMS[platform];
  if (p.fixedLines && irqLines !== p.irqLines) return `platform ${platform} has ${p.irqLines} IRQ lines (0..${p.irqLines - 1}), got ${irqLines}`;
  if (p.timerIrq >= irqLines) return `platform ${platform} has its timer on line ${p.timerIrq}, so it needs more than ${irqLines} lines`;
  return null;
}

/**
 * A copy of `config` on platform `name`, with the platform's line count (`l4check
 * conform` applies the recording's `kernel.platform` this way). An unknown name throws a
 * RangeError naming the known ones.
 */
export function applyPlatform(config: Config, name: string): Config {
  if (!isPlatformName(name)) throw new RangeError(`unknown platform ${JSON.stringify(name)} (expected one of ${PLATFORM_NAMES.join(', ')})`);
  return { ...config, platform: name, irqLines: PLATFORMS[name].irqLines };
}

export interface Config {
  memoryBits: number;
  untyped: UntypedRegion[];
  rootCNodeBits: number;
  timeslice: number;
  tlbEntries: number;
  /** The interrupt layout's platform (PLATFORMS): the timer's line, the default line count. */
  platform: PlatformName;
  irqLines: number;
  variant: Variant;
  mutant?: string;
  seed?: number;
  path?: string;
  generator?: unknown;
}

export const DEFAULT_VARIANT: Variant = { scheduler: 'benno', fastpath: true };

/** [2 MiB, 2^memoryBits) cut into maximal naturally aligned blocks, ascending. */
export function defaultUntyped(memoryBits: number): UntypedRegion[] {
  const out: UntypedRegion[] = [];
  let p = 0x00200000;
  const end = 2 ** memoryBits;
  while (p < end) {
    let bits = 21;
    while (p % 2 ** (bits + 1) === 0 && p + 2 ** (bits + 1) <= end) bits++;
    out.push({ paddr: p, sizeBits: bits });
    p += 2 ** bits;
  }
  return out;
}

export function defaultConfig(): Config {
  return {
    memoryBits: 24,
    untyped: defaultUntyped(24),
    rootCNodeBits: 12,
    timeslice: 5,
    tlbEntries: 64,
    platform: DEFAULT_PLATFORM,
    irqLines: PLATFORMS[DEFAULT_PLATFORM].irqLines,
    variant: { ...DEFAULT_VARIANT },
  };
}
