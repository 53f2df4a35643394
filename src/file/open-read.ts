/** Opening a file for reading, with errors that name the caller's path. */
import type { Disk, DiskFile, DiskStat } from '../disk/index.js';
import { AtomicError, fsError } from '../base/errors.js';
import { retryTransient, type RetryOptions } from '../base/retry.js';

export interface OpenedForRead {
  file: DiskFile;
  stat: DiskStat;
}

/**
 * Opens `path` read-only and checks that it is a file. A directory opens fine with
 * O_RDONLY on Linux and fails only at the first read, so it is refused here with a
 * clear EISDIR instead.
 */
export async function openForRead(disk: Disk, path: string, op: string, retry?: RetryOptions): Promise<OpenedForRead> {
  let file: DiskFile;
  try {
    file = await retryTransient(() => disk.open(path, 'r'), retry);
  } catch (err) {
    throw fsError(err, op, path);
  }
  try {
    const stat = await file.stat();
    if (stat.isDirectory()) throw new AtomicError('EISDIR', `${op} ${path}: is a directory, expected a file`, { path });
    return { file, stat };
  } catch (err) {
    await file.close().catch(() => undefined);
    throw fsError(err, op, path);
  }
}
