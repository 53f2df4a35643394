/** Opening a file for reading, with errors that name the caller's path. */
import type { Disk, DiskFile, DiskStat } from '../disk/index.js';
import { AtomicError, fsError } from '../base/errors.js';
import { retryTransient, type RetryOptions } from '../base/retry.js';
import * as io from '../disk/io.js';
import type { Dual } from '../disk/dual.js';

export interface OpenedForRead {
  file: DiskFile;
  stat: DiskStat;
}

/**
 * Opens `path` read-only and checks that it is a file. A directory opens fine with
 * O_RDONLY on Linux and fails only at the first read, so it is refused here with a
 * clear EISDIR instead.
 */
export function* openForRead(disk: Disk, path: string, op: string, retry?: RetryOptions): Dual<OpenedForRead> {
  let file: DiskFile;
  try {
    file = yield* retryTransient(() => io.open(disk, path, 'r'), retry);
  } catch (err) {
    throw fsError(err, op, path);
  }
  try {
    const stat = yield* io.fstat(file);
    if (stat.isDirectory()) throw new AtomicError('EISDIR', `${op} ${path}: is a directory, expected a file`, { path });
    return { file, stat };
  } catch (err) {
    yield* closeQuietly(file);
    throw fsError(err, op, path);
  }
}

/** Closes a file whose close cannot lose anything (read-only, or synced already). */
export function* closeQuietly(file: DiskFile): Dual<void> {
  try {
    yield* io.close(file);
  } catch {
    // Nothing to lose: see above.
  }
}
