/**
 * Disk calls for entries that may be gone (removed by a concurrent writer, a recovery, or
 * an earlier try): ENOENT is an answer, not an error. Other errors name `op` and the path.
 */
import type { Disk, DiskStat } from '../disk/index.js';
import { errorCode, fsError } from '../base/errors.js';
import { retryTransient, type RetryOptions } from '../base/retry.js';
import * as io from '../disk/io.js';
import type { Dual } from '../disk/dual.js';

/** lstat(path), or undefined if nothing is there. Errors name `shown` (the caller's path). */
export function* lstatIfPresent(disk: Disk, path: string, op: string, shown = path): Dual<DiskStat | undefined> {
  try {
    return yield* io.lstatIfAny(disk, path);
  } catch (err) {
    throw fsError(err, op, shown);
  }
}

/** unlink(path); false if it was already gone (someone else removed it first). */
export function* unlinkIfPresent(disk: Disk, path: string, op: string, retry?: RetryOptions): Dual<boolean> {
  try {
    yield* retryTransient(() => io.unlink(disk, path), retry);
    return true;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false;
    throw fsError(err, op, path);
  }
}
