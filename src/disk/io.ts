/**
 * The disk's calls as steps of a protocol (dual.ts): `yield* io.rename(disk, a, b)` is
 * `disk.rename(a, b)` driven asynchronously and `disk.renameSync(a, b)` driven
 * synchronously. The asynchronous form is the very call the async path always made.
 *
 * Each kind of call is one `Forms` object made here once; taking a call allocates the step
 * and nothing else.
 */
import type { Disk, DiskDir, DiskFile, DiskStat, OpenFlags } from './disk.js';
import { step, type Dual, type Forms } from './dual.js';

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

const OPEN: Forms<DiskFile, Disk, string, OpenFlags, number | undefined> = {
  sync: (disk, path, flags, mode) => (disk.openSync ? disk.openSync(path, flags, mode) : missing('openSync')),
  async: (disk, path, flags, mode) => disk.open(path, flags, mode),
};
export const open = (disk: Disk, path: string, flags: OpenFlags, mode?: number): Dual<DiskFile> =>
  step(OPEN, disk, path, flags, mode);

const STAT: Forms<DiskStat, Disk, string> = {
  sync: (disk, path) => (disk.statSync ? disk.statSync(path) : missing('statSync')),
  async: (disk, path) => disk.stat(path),
};
export const stat = (disk: Disk, path: string): Dual<DiskStat> => step(STAT, disk, path);

const LSTAT: Forms<DiskStat, Disk, string> = {
  sync: (disk, path) => (disk.lstatSync ? disk.lstatSync(path) : missing('lstatSync')),
  async: (disk, path) => disk.lstat(path),
};
export const lstat = (disk: Disk, path: string): Dual<DiskStat> => step(LSTAT, disk, path);

const LSTAT_IF_ANY: Forms<DiskStat | undefined, Disk, string> = {
  sync: (disk, path) =>
    disk.lstatIfAnySync
      ? disk.lstatIfAnySync(path)
      : missingAsUndefined(() => (disk.lstatSync ? disk.lstatSync(path) : missing('lstatSync'))),
  async: (disk, path) =>
    disk.lstatIfAny
      ? disk.lstatIfAny(path)
      : disk.lstat(path).catch((err: unknown) => (isMissing(err) ? undefined : Promise.reject(err as Error))),
};
/** `lstat`, or `undefined` where nothing is at `path` (disk.ts, `lstatIfAnySync`). */
export const lstatIfAny = (disk: Disk, path: string): Dual<DiskStat | undefined> => step(LSTAT_IF_ANY, disk, path);

const REALPATH: Forms<string, Disk, string> = {
  sync: (disk, path) => (disk.realpathSync ? disk.realpathSync(path) : missing('realpathSync')),
  async: (disk, path) => disk.realpath(path),
};
export const realpath = (disk: Disk, path: string): Dual<string> => step(REALPATH, disk, path);

const READLINK: Forms<string, Disk, string> = {
  sync: (disk, path) => (disk.readlinkSync ? disk.readlinkSync(path) : missing('readlinkSync')),
  async: (disk, path) => disk.readlink(path),
};
export const readlink = (disk: Disk, path: string): Dual<string> => step(READLINK, disk, path);

const READDIR: Forms<string[], Disk, string> = {
  sync: (disk, path) => (disk.readdirSync ? disk.readdirSync(path) : missing('readdirSync')),
  async: (disk, path) => disk.readdir(path),
};
export const readdir = (disk: Disk, path: string): Dual<string[]> => step(READDIR, disk, path);

const MKDIR: Forms<void, Disk, string, number | undefined> = {
  sync: (disk, path, mode) => (disk.mkdirSync ? disk.mkdirSync(path, mode) : missing('mkdirSync')),
  async: (disk, path, mode) => disk.mkdir(path, mode),
};
export const mkdir = (disk: Disk, path: string, mode?: number): Dual<void> => step(MKDIR, disk, path, mode);

const RMDIR: Forms<void, Disk, string> = {
  sync: (disk, path) => (disk.rmdirSync ? disk.rmdirSync(path) : missing('rmdirSync')),
  async: (disk, path) => disk.rmdir(path),
};
export const rmdir = (disk: Disk, path: string): Dual<void> => step(RMDIR, disk, path);

const RENAME: Forms<void, Disk, string, string> = {
  sync: (disk, from, to) => (disk.renameSync ? disk.renameSync(from, to) : missing('renameSync')),
  async: (disk, from, to) => disk.rename(from, to),
};
export const rename = (disk: Disk, from: string, to: string): Dual<void> => step(RENAME, disk, from, to);

const LINK: Forms<void, Disk, string, string> = {
  sync: (disk, existing, to) => (disk.linkSync ? disk.linkSync(existing, to) : missing('linkSync')),
  async: (disk, existing, to) => disk.link(existing, to),
};
export const link = (disk: Disk, existing: string, to: string): Dual<void> => step(LINK, disk, existing, to);

const UNLINK: Forms<void, Disk, string> = {
  sync: (disk, path) => (disk.unlinkSync ? disk.unlinkSync(path) : missing('unlinkSync')),
  async: (disk, path) => disk.unlink(path),
};
export const unlink = (disk: Disk, path: string): Dual<void> => step(UNLINK, disk, path);

const CHMOD: Forms<void, Disk, string, number> = {
  sync: (disk, path, mode) => (disk.chmodSync ? disk.chmodSync(path, mode) : missing('chmodSync')),
  async: (disk, path, mode) => disk.chmod(path, mode),
};
export const chmod = (disk: Disk, path: string, mode: number): Dual<void> => step(CHMOD, disk, path, mode);

const CHOWN: Forms<void, Disk, string, number, number> = {
  sync: (disk, path, uid, gid) => (disk.chownSync ? disk.chownSync(path, uid, gid) : missing('chownSync')),
  async: (disk, path, uid, gid) => disk.chown(path, uid, gid),
};
export const chown = (disk: Disk, path: string, uid: number, gid: number): Dual<void> =>
  step(CHOWN, disk, path, uid, gid);

const UTIMES: Forms<void, Disk, string, number, number> = {
  sync: (disk, path, atimeMs, mtimeMs) =>
    disk.utimesSync ? disk.utimesSync(path, atimeMs, mtimeMs) : missing('utimesSync'),
  async: (disk, path, atimeMs, mtimeMs) => disk.utimes(path, atimeMs, mtimeMs),
};
export const utimes = (disk: Disk, path: string, atimeMs: number, mtimeMs: number): Dual<void> =>
  step(UTIMES, disk, path, atimeMs, mtimeMs);

const SYNC_DIR: Forms<void, Disk, string> = {
  sync: (disk, path) => (disk.syncDirSync ? disk.syncDirSync(path) : missing('syncDirSync')),
  async: (disk, path) => disk.syncDir(path),
};
export const syncDir = (disk: Disk, path: string): Dual<void> => step(SYNC_DIR, disk, path);

// Calls on an open file.

const WRITE: Forms<void, DiskFile, Uint8Array, number | undefined> = {
  sync: (file, data, position) => (file.writeSync ? file.writeSync(data, position) : missing('file.writeSync')),
  async: (file, data, position) => file.write(data, position),
};
export const write = (file: DiskFile, data: Uint8Array, position?: number): Dual<void> =>
  step(WRITE, file, data, position);

const READ: Forms<number, DiskFile, Uint8Array, number, number | undefined> = {
  sync: (file, buffer, position, length) =>
    file.readSync ? file.readSync(buffer, position, length) : missing('file.readSync'),
  async: (file, buffer, position, length) => file.read(buffer, position, length),
};
export const read = (file: DiskFile, buffer: Uint8Array, position: number, length?: number): Dual<number> =>
  step(READ, file, buffer, position, length);

const FSYNC: Forms<void, DiskFile> = {
  sync: (file) => (file.syncSync ? file.syncSync() : missing('file.syncSync')),
  async: (file) => file.sync(),
};
export const fsync = (file: DiskFile): Dual<void> => step(FSYNC, file);

const FSTAT: Forms<DiskStat, DiskFile> = {
  sync: (file) => (file.statSync ? file.statSync() : missing('file.statSync')),
  async: (file) => file.stat(),
};
export const fstat = (file: DiskFile): Dual<DiskStat> => step(FSTAT, file);

const FCHMOD: Forms<void, DiskFile, number> = {
  sync: (file, mode) => (file.chmodSync ? file.chmodSync(mode) : missing('file.chmodSync')),
  async: (file, mode) => file.chmod(mode),
};
export const fchmod = (file: DiskFile, mode: number): Dual<void> => step(FCHMOD, file, mode);

const FCHOWN: Forms<void, DiskFile, number, number> = {
  sync: (file, uid, gid) => (file.chownSync ? file.chownSync(uid, gid) : missing('file.chownSync')),
  async: (file, uid, gid) => file.chown(uid, gid),
};
export const fchown = (file: DiskFile, uid: number, gid: number): Dual<void> => step(FCHOWN, file, uid, gid);

const FTRUNCATE: Forms<void, DiskFile, number> = {
  sync: (file, length) => (file.truncateSync ? file.truncateSync(length) : missing('file.truncateSync')),
  async: (file, length) => file.truncate(length),
};
export const ftruncate = (file: DiskFile, length: number): Dual<void> => step(FTRUNCATE, file, length);

const CLOSE: Forms<void, DiskFile> = {
  sync: (file) => (file.closeSync ? file.closeSync() : missing('file.closeSync')),
  async: (file) => file.close(),
};
export const close = (file: DiskFile): Dual<void> => step(CLOSE, file);

const DIR_SYNC: Forms<void, DiskDir> = {
  sync: () => missing('openDir'),
  async: (dir) => dir.sync(),
};
/** A folder opened ahead of its sync (disk.ts, `openDir`): only driven asynchronously. */
export const dirSync = (dir: DiskDir): Dual<void> => step(DIR_SYNC, dir);
