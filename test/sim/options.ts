/** Exploration sizes: small by default (CI), larger through environment variables. */
import { sizeFromEnv } from '../helpers/tmp.js';
import type { ExploreOptions } from './explore.js';

export function exploreOptions(): ExploreOptions {
  return {
    subsets: sizeFromEnv('ATOMICFS_CRASH_SUBSETS', 2),
    torn: sizeFromEnv('ATOMICFS_CRASH_TORN', 1),
    recoveryStates: sizeFromEnv('ATOMICFS_CRASH_RECOVERY_SUBSETS', 0),
    recoveryCrashModes: sizeFromEnv('ATOMICFS_CRASH_RECOVERY_MODES', 2),
    recoveryCrashPoints: sizeFromEnv('ATOMICFS_CRASH_RECOVERY_POINTS', 4),
    seed: sizeFromEnv('ATOMICFS_CRASH_SEED', 1),
  };
}
