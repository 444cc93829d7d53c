// The model's configuration for a record's platform: the trace's config put on the platform the
// real kernel ran on (abi/config.ts applyPlatform: its line count and timer line). An unknown
// platform throws, naming the known ones.
import { type Config, applyPlatform } from '../../abi/config';

export function platformConfig(config: Config, platform: string): Config {
  return applyPlatform(config, platform);
}
