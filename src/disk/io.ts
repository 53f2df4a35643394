/**
 * The disk's calls as steps of a protocol (dual.ts): `yield* io.rename(disk, a, b)` is
 * `disk.rename(a, b)` driven asynchronously and `disk.renameSync(a, b)` driven
 * synchronously. The asynchronous form is the very call the async path always made.
 */
import type { Disk, DiskDir, DiskFile, DiskStat, OpenFlags } from './disk.js';
import { call, type Dual } from './dual.js';

/** ENOTSUP for a synchronous call on a disk that has only asynchronous ones. */
function noTwin(name: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTSUP: this disk has no synchronous ${name} (a synchronous call needs one)`), {
    code: 'ENOTSUP',
    syscall: name,
  });
}

function isMissing(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ENOENT';
}

function missingAsUndefined<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** A synchronous call on a disk (or file) without that twin. */
function missing(name: string): never {
  throw noTwin(name);
}

export const open = (disk: Disk, path: string, flags: OpenFlags, mode?: number): Dual<DiskFile> =>
  call(
    () => (disk.openSync ? disk.openSync(path, flags, mode) : missing('openSync')),
    () => disk.open(path, flags, mode),
  );
export const stat = (disk: Disk, path: string): Dual<DiskStat> =>
  call(
    () => (disk.statSync ? disk.statSync(path) : missing('statSync')),
    () => disk.stat(path),
  );
export const lstat = (disk: Disk, path: string): Dual<DiskStat> =>
  call(
    () => (disk.lstatSync ? disk.lstatSync(path) : missing('lstatSync')),
    () => disk.lstat(path),
  );
/** `lstat`, or `undefined` where nothing is at `path` (disk.ts, `lstatIfAnySync`). */
export const lstatIfAny = (disk: Disk, path: string): Dual<DiskStat | undefined> =>
  call(
    () =>
      disk.lstatIfAnySync
        ? disk.lstatIfAnySync(path)
        : missingAsUndefined(() => (disk.lstatSync ? disk.lstatSync(path) : missing('lstatSync'))),
    () =>
      disk.lstatIfAny
        ? disk.lstatIfAny(path)
        : disk.lstat(path).catch((err: unknown) => (isMissing(err) ? undefined : Promise.reject(err as Error))),
  );
export const realpath = (disk: Disk, path: string): Dual<string> =>
  call(
    () => (disk.realpathSync ? disk.realpathSync(path) : missing('realpathSync')),
    () => disk.realpath(path),
  );
export const readlink = (disk: Disk, path: string): Dual<string> =>
  call(
    () => (disk.readlinkSync ? disk.readlinkSync(path) : missing('readlinkSync')),
    () => disk.readlink(path),
  );
export const readdir = (disk: Disk, path: string): Dual<string[]> =>
  call(
    () => (disk.readdirSync ? disk.readdirSync(path) : missing('readdirSync')),
    () => disk.readdir(path),
  );
export const mkdir = (disk: Disk, path: string, mode?: number): Dual<void> =>
  call(
    () => (disk.mkdirSync ? disk.mkdirSync(path, mode) : missing('mkdirSync')),
    () => disk.mkdir(path, mode),
  );
export const rmdir = (disk: Disk, path: string): Dual<void> =>
  call(
    () => (disk.rmdirSync ? disk.rmdirSync(path) : missing('rmdirSync')),
    () => disk.rmdir(path),
  );
export const rename = (disk: Disk, from: string, to: string): Dual<void> =>
  call(
    () => (disk.renameSync ? disk.renameSync(from, to) : missing('renameSync')),
    () => disk.rename(from, to),
  );
export const link = (disk: Disk, existing: string, to: string): Dual<void> =>
  call(
    () => (disk.linkSync ? disk.linkSync(existing, to) : missing('linkSync')),
    () => disk.link(existing, to),
  );
export const unlink = (disk: Disk, path: string): Dual<void> =>
  call(
    () => (disk.unlinkSync ? disk.unlinkSync(path) : missing('unlinkSync')),
    () => disk.unlink(path),
  );
export const chmod = (disk: Disk, path: string, mode: number): Dual<void> =>
  call(
    () => (disk.chmodSync ? disk.chmodSync(path, mode) : missing('chmodSync')),
    () => disk.chmod(path, mode),
  );
export const chown = (disk: Disk, path: string, uid: number, gid: number): Dual<void> =>
  call(
    () => (disk.chownSync ? disk.chownSync(path, uid, gid) : missing('chownSync')),
    () => disk.chown(path, uid, gid),
  );
export const utimes = (disk: Disk, path: string, atimeMs: number, mtimeMs: number): Dual<void> =>
  call(
    () => (disk.utimesSync ? disk.utimesSync(path, atimeMs, mtimeMs) : missing('utimesSync')),
    () => disk.utimes(path, atimeMs, mtimeMs),
  );
export const syncDir = (disk: Disk, path: string): Dual<void> =>
  call(
    () => (disk.syncDirSync ? disk.syncDirSync(path) : missing('syncDirSync')),
    () => disk.syncDir(path),
  );

// Calls on an open file.

export const write = (file: DiskFile, data: Uint8Array, position?: number): Dual<void> =>
  call(
    () => (file.writeSync ? file.writeSync(data, position) : missing('file.writeSync')),
    () => file.write(data, position),
  );
export const read = (file: DiskFile, buffer: Uint8Array, position: number, length?: number): Dual<number> =>
  call(
    () => (file.readSync ? file.readSync(buffer, position, length) : missing('file.readSync')),
    () => file.read(buffer, position, length),
  );
export const fsync = (file: DiskFile): Dual<void> =>
  call(
    () => (file.syncSync ? file.syncSync() : missing('file.syncSync')),
    () => file.sync(),
  );
export const fstat = (file: DiskFile): Dual<DiskStat> =>
  call(
    () => (file.statSync ? file.statSync() : missing('file.statSync')),
    () => file.stat(),
  );
export const fchmod = (file: DiskFile, mode: number): Dual<void> =>
  call(
    () => (file.chmodSync ? file.chmodSync(mode) : missing('file.chmodSync')),
    () => file.chmod(mode),
  );
export const fchown = (file: DiskFile, uid: number, gid: number): Dual<void> =>
  call(
    () => (file.chownSync ? file.chownSync(uid, gid) : missing('file.chownSync')),
    () => file.chown(uid, gid),
  );
export const ftruncate = (file: DiskFile, length: number): Dual<void> =>
  call(
    () => (file.truncateSync ? file.truncateSync(length) : missing('file.truncateSync')),
    () => file.truncate(length),
  );
export const close = (file: DiskFile): Dual<void> =>
  call(
    () => (file.closeSync ? file.closeSync() : missing('file.closeSync')),
    () => file.close(),
  );

/** A folder opened ahead of its sync (disk.ts, `openDir`): only driven asynchronously. */
export const dirSync = (dir: DiskDir): Dual<void> =>
  call(
    () => {
      throw noTwin('openDir');
    },
    () => dir.sync(),
  );
