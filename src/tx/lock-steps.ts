/**
 * The lock layer's calls that the commit and recovery make, as steps (dual.ts): each is
 * the lock layer's own protocol, so a synchronous commit locks, releases and clears dead
 * locks synchronously. A lock kept in a coordinator has no synchronous release (commitSync
 * and recoverSync refuse a coordinator before they start).
 */
import { AtomicError } from '../base/errors.js';
import type { Disk, DiskStat } from '../disk/index.js';
import { call, type Dual } from '../disk/dual.js';
import { lockAs, type LockOptions, type Release } from '../lock/lock.js';
import type { LockOwner } from '../lock/lock-link.js';
import { breakIfStale, unlinkPersistently } from '../lock/lock-record.js';
import { clearLockLeftover } from '../lock/stale-locks.js';

/** A held lock as the transaction layer keeps it: released by a step. */
export type HeldRelease = Release & { releaseSync?: () => void };

export function lockStep(
  path: string,
  opts: LockOptions,
  owner: LockOwner | undefined,
  isReal: boolean,
): Dual<HeldRelease> {
  return lockAs(path, opts, owner, isReal);
}

export function releaseStep(release: HeldRelease): Dual<void> {
  return call(
    () => {
      if (!release.releaseSync)
        throw new AtomicError('EINVAL', 'unlock: a lock held through a coordinator is released asynchronously only');
      release.releaseSync();
    },
    () => release(),
  );
}

export function unlinkPersistentlyStep(disk: Disk, path: string): Dual<void> {
  return unlinkPersistently(disk, path);
}

export function breakIfStaleStep(disk: Disk, path: string, staleMs: number): Dual<void> {
  return breakIfStale(disk, path, staleMs);
}

export function clearLockLeftoverStep(
  disk: Disk,
  path: string,
  stat: DiskStat,
  olderThanMs: number,
  now: number,
): Dual<string[]> {
  return clearLockLeftover(disk, path, stat, olderThanMs, now);
}
