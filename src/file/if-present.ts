/**
 * Disk calls for entries that may be gone (removed by a concurrent writer, a recovery, or
 * an earlier try): ENOENT is an answer, not an error. Other errors name `op` and the path.
 */
import type { Disk, DiskStat } from '../disk/index.js';
import { errorCode, fsError } from '../base/errors.js';
import { retryTransient, type RetryOptions } from '../base/retry.js';

/** lstat(path), or undefined if nothing is there. Errors name `shown` (the caller's path). */
export async function lstatIfPresent(
  disk: Disk,
  path: string,
  op: string,
  shown = path,
): Promise<DiskStat | undefined> {
  try {
    return await disk.lstat(path);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw fsError(err, op, shown);
  }
}

/** unlink(path); false if it was already gone (someone else removed it first). */
export async function unlinkIfPresent(disk: Disk, path: string, op: string, retry?: RetryOptions): Promise<boolean> {
  try {
    await retryTransient(() => disk.unlink(path), retry);
    return true;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false;
    throw fsError(err, op, path);
  }
}
