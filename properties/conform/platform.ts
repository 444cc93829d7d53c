// The model's configuration for a record's platform (TEMPORARY until config.platform lands).
import type { Config } from '../../abi/config';

export function platformConfig(config: Config, platform: string): Config {
  if (platform !== 'qemu-arm-virt') throw new Error(`unknown platform "${platform}"`);
  return config;
}
