/**
 * The lock layer's calls that the commit and recovery make, as steps (dual.ts).
 *
 * src/lock is being converted to dual protocols on its own (lockAs becomes a Dual whose
 * release gains releaseSync()). Until then its calls are asynchronous only, and a
 * synchronous commit or recovery that reaches one stops here with ENOTSUP, before it
 * has changed anything a lock guards. Once src/lock is dual, each of these becomes a
 * plain `yield*` of the lock layer's own protocol.
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

function notYet(what: string, path: string): AtomicError {
  return new AtomicError('ENOTSUP', `${what} ${path}: the lock layer has no synchronous form yet`, { path });
}

export function lockStep(
  path: string,
  opts: LockOptions,
  owner: LockOwner | undefined,
  isReal: boolean,
): Dual<HeldRelease> {
  return call<HeldRelease>(
    () => {
      throw notYet('lock', path);
    },
    () => lockAs(path, opts, owner, isReal),
  );
}

export function releaseStep(release: HeldRelease): Dual<void> {
  return call(
    () => {
      if (!release.releaseSync) throw notYet('unlock', '(a transaction lock)');
      release.releaseSync();
    },
    () => release(),
  );
}

export function unlinkPersistentlyStep(disk: Disk, path: string): Dual<void> {
  return call(
    () => {
      throw notYet('unlink', path);
    },
    () => unlinkPersistently(disk, path),
  );
}

export function breakIfStaleStep(disk: Disk, path: string, staleMs: number): Dual<void> {
  return call(
    () => {
      throw notYet('break lock', path);
    },
    () => breakIfStale(disk, path, staleMs),
  );
}

export function clearLockLeftoverStep(
  disk: Disk,
  path: string,
  stat: DiskStat,
  olderThanMs: number,
  now: number,
): Dual<string[]> {
  return call(
    () => {
      throw notYet('clear lock', path);
    },
    () => clearLockLeftover(disk, path, stat, olderThanMs, now),
  );
}
