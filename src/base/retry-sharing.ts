/**
 * Retries of sharing violations, composed around a disk as rimraf composes its Windows
 * removal: where the disk's platform makes a rename, an unlink or an rmdir fail while
 * another handle holds the file (a reader, a search indexer, an antivirus scan; see
 * `DiskCapabilities.sharingViolations`), those calls are retried with a bounded backoff
 * until the holder lets go. Every layer above reaches the disk through `diskOf`, which
 * composes this once, so a lock's record, a journal or a rotated log is retried like a
 * write's rename. A disk whose platform has no such rule is returned as it is.
 */
import type { Disk } from '../disk/index.js';
import { errorCode } from './errors.js';
import { markExhausted, retryWhile, type RetryOptions } from './retry.js';

/**
 * Attempts when the caller gives none: the backoff doubles from 10 ms, so ten attempts wait
 * about 1.5 to 3 s in all, long enough for a scan or a reader that holds a file for a
 * moment, short enough that a file held open for good fails while the caller still waits.
 */
export const SHARING_ATTEMPTS = 10;

const composed = new WeakSet<Disk>();
const byDisk = new WeakMap<Disk, Disk>();

/** `disk`, its rename, unlink and rmdir retried on sharing violations, bounded by `retry`. */
export function withSharingRetries(disk: Disk, retry?: RetryOptions): Disk {
  const codes = disk.capabilities.sharingViolations;
  if (codes.length === 0 || composed.has(disk)) return disk;
  if (retry === undefined) {
    const known = byDisk.get(disk);
    if (known) return known;
  }
  const sharing = (err: unknown): boolean => codes.includes(errorCode(err) ?? '');
  const attempts = retry?.attempts ?? SHARING_ATTEMPTS;
  const again = <T>(op: () => Promise<T>): Promise<T> =>
    retryWhile(op, sharing, attempts, retry?.maxDelayMs).catch((err: unknown) => {
      // Retried to its bound: a caller's own retry of transient codes (EBUSY) must not
      // start over on it.
      throw sharing(err) ? markExhausted(err) : err;
    });
  // Every call forwarded by name: a disk may be a class instance (its methods on its
  // prototype, `this` its own), which a spread would not copy.
  const wrapped: Disk = {
    capabilities: disk.capabilities,
    open: (path, flags, mode) => disk.open(path, flags, mode),
    stat: (path) => disk.stat(path),
    lstat: (path) => disk.lstat(path),
    realpath: (path) => disk.realpath(path),
    readlink: (path) => disk.readlink(path),
    readdir: (path) => disk.readdir(path),
    mkdir: (path, mode) => disk.mkdir(path, mode),
    rmdir: (path) => again(() => disk.rmdir(path)),
    rename: (from, to) => again(() => disk.rename(from, to)),
    link: (existing, to) => disk.link(existing, to),
    unlink: (path) => again(() => disk.unlink(path)),
    chmod: (path, mode) => disk.chmod(path, mode),
    chown: (path, uid, gid) => disk.chown(path, uid, gid),
    utimes: (path, atimeMs, mtimeMs) => disk.utimes(path, atimeMs, mtimeMs),
    syncDir: (path) => disk.syncDir(path),
  };
  if (disk.openDir) wrapped.openDir = (path) => disk.openDir!(path);
  composed.add(wrapped);
  if (retry === undefined) byDisk.set(disk, wrapped);
  return wrapped;
}
