/**
 * Retries of sharing violations, composed around a disk as rimraf composes its Windows
 * removal: where the disk's platform makes a rename, an unlink or an rmdir fail while
 * another handle holds the file (a reader, a search indexer, an antivirus scan; see
 * `DiskCapabilities.sharingViolations`), those calls are retried with a bounded backoff
 * until the holder lets go. Every layer above reaches the disk through `diskOf`, which
 * composes this once, so a lock's record, a journal or a rotated log is retried like a
 * write's rename. A disk whose platform has no such rule is returned as it is.
 */
import type { Disk, DiskSync } from '../disk/index.js';
import * as io from '../disk/io.js';
import { runAsync, runSync, type Dual } from '../disk/dual.js';
import { errorCode } from './errors.js';
import { markExhausted, retryWhile, type RetryOptions } from './retry.js';

/**
 * Attempts when the caller gives none: the backoff doubles from 10 ms, so ten attempts wait
 * about 1.5 to 3 s in all, long enough for a scan or a reader that holds a file for a
 * moment, short enough that a file held open for good fails while the caller still waits.
 */
export const SHARING_ATTEMPTS = 10;

const composed = new WeakSet<Disk>();

/** The synchronous twins passed through as they are (the retried three are wrapped above). */
const FORWARDED_TWINS = [
  'openSync',
  'statSync',
  'lstatSync',
  'lstatIfAnySync',
  'realpathSync',
  'readlinkSync',
  'readdirSync',
  'mkdirSync',
  'linkSync',
  'chmodSync',
  'chownSync',
  'utimesSync',
  'syncDirSync',
] as const satisfies readonly (keyof DiskSync)[];
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
  function* again(op: () => Dual<void>): Dual<void> {
    try {
      yield* retryWhile(op, sharing, attempts, retry?.maxDelayMs);
    } catch (err) {
      // Retried to its bound: a caller's own retry of transient codes (EBUSY) must not
      // start over on it.
      throw sharing(err) ? markExhausted(err) : err;
    }
  }
  // Every call forwarded by name: a disk may be a class instance (its methods on its
  // prototype, `this` its own), which a spread would not copy. The retried calls run one
  // protocol both ways (dual.ts); the others forward their twin, if the disk has one.
  const wrapped: Disk = {
    capabilities: disk.capabilities,
    open: (path, flags, mode) => disk.open(path, flags, mode),
    stat: (path) => disk.stat(path),
    lstat: (path) => disk.lstat(path),
    ...(disk.lstatIfAny ? { lstatIfAny: (path: string) => disk.lstatIfAny!(path) } : {}),
    realpath: (path) => disk.realpath(path),
    readlink: (path) => disk.readlink(path),
    readdir: (path) => disk.readdir(path),
    mkdir: (path, mode) => disk.mkdir(path, mode),
    rmdir: (path) => runAsync(again(() => io.rmdir(disk, path))),
    rename: (from, to) => runAsync(again(() => io.rename(disk, from, to))),
    link: (existing, to) => disk.link(existing, to),
    unlink: (path) => runAsync(again(() => io.unlink(disk, path))),
    chmod: (path, mode) => disk.chmod(path, mode),
    chown: (path, uid, gid) => disk.chown(path, uid, gid),
    utimes: (path, atimeMs, mtimeMs) => disk.utimes(path, atimeMs, mtimeMs),
    syncDir: (path) => disk.syncDir(path),
    rmdirSync: (path) => runSync(again(() => io.rmdir(disk, path))),
    renameSync: (from, to) => runSync(again(() => io.rename(disk, from, to))),
    unlinkSync: (path) => runSync(again(() => io.unlink(disk, path))),
  };
  for (const name of FORWARDED_TWINS) {
    const fn = disk[name];
    if (fn) Object.assign(wrapped, { [name]: fn.bind(disk) });
  }
  if (disk.openDir) wrapped.openDir = (path) => disk.openDir!(path);
  composed.add(wrapped);
  if (retry === undefined) byDisk.set(disk, wrapped);
  return wrapped;
}
