/** Exploration on a disk whose calls in flight land in any order: the seeds, and one table row for all of them. */
import { sizeFromEnv } from '../helpers/tmp.js';
import type { ExploreResult } from './explore.js';

/**
 * One landing order per seed: ATOMICFS_CRASH_INFLIGHT_SEEDS of them (small by default),
 * `times` as many for a cheap row whose hazard needs a rarer order (or a fraction, at
 * least one, for an expensive row).
 */
export function inFlightSeeds(times = 1): number[] {
  const n = Math.max(1, Math.round(sizeFromEnv('ATOMICFS_CRASH_INFLIGHT_SEEDS', 2) * times));
  const base = sizeFromEnv('ATOMICFS_CRASH_SEED', 1);
  return Array.from({ length: n }, (_, i) => base * 7919 + i);
}

/** The runs of one scenario under several landing orders, as one row: counts summed, calls the largest. */
export function merged(runs: ExploreResult[]): ExploreResult {
  const first = runs[0];
  if (!first) throw new Error('no runs to merge');
  return {
    name: `${first.name} (${runs.length} order${runs.length === 1 ? '' : 's'})`,
    calls: Math.max(...runs.map((r) => r.calls)),
    crashPoints: runs.reduce((n, r) => n + r.crashPoints, 0),
    states: runs.reduce((n, r) => n + r.states, 0),
    recoveryStates: runs.reduce((n, r) => n + r.recoveryStates, 0),
    violations: runs.flatMap((r) => r.violations),
  };
}
