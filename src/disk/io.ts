/**
 * The disk's calls as steps of a protocol (dual.ts): `yield* io.rename(disk, a, b)` is
 * `disk.rename(a, b)` driven asynchronously and `disk.renameSync(a, b)` driven
 * synchronously. The asynchronous form is the very call the async path always made.
 */
import type { Disk, DiskDir, DiskFile, DiskStat, DiskSync, OpenFlags } from './disk.js';
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

function twin<K extends keyof DiskSync>(disk: Disk, name: K): NonNullable<Disk[K]> {
  const fn = disk[name];
  if (!fn) throw noTwin(name);
  return fn.bind(disk) as NonNullable<Disk[K]>;
}

function fileTwin<
  K extends
    'writeSync' | 'readSync' | 'syncSync' | 'statSync' | 'chmodSync' | 'chownSync' | 'truncateSync' | 'closeSync',
>(file: DiskFile, name: K): NonNullable<DiskFile[K]> {
  const fn = file[name];
  if (!fn) throw noTwin(`file.${name}`);
  return fn.bind(file) as NonNullable<DiskFile[K]>;
}

export const open = (disk: Disk, path: string, flags: OpenFlags, mode?: number): Dual<DiskFile> =>
  call(
    () => twin(disk, 'openSync')(path, flags, mode),
    () => disk.open(path, flags, mode),
  );
export const stat = (disk: Disk, path: string): Dual<DiskStat> =>
  call(
    () => twin(disk, 'statSync')(path),
    () => disk.stat(path),
  );
export const lstat = (disk: Disk, path: string): Dual<DiskStat> =>
  call(
    () => twin(disk, 'lstatSync')(path),
    () => disk.lstat(path),
  );
/** `lstat`, or `undefined` where nothing is at `path` (disk.ts, `lstatIfAnySync`). */
export const lstatIfAny = (disk: Disk, path: string): Dual<DiskStat | undefined> =>
  call(
    () => (disk.lstatIfAnySync ? disk.lstatIfAnySync(path) : missingAsUndefined(() => twin(disk, 'lstatSync')(path))),
    () => disk.lstat(path).catch((err: unknown) => (isMissing(err) ? undefined : Promise.reject(err as Error))),
  );
export const realpath = (disk: Disk, path: string): Dual<string> =>
  call(
    () => twin(disk, 'realpathSync')(path),
    () => disk.realpath(path),
  );
export const readlink = (disk: Disk, path: string): Dual<string> =>
  call(
    () => twin(disk, 'readlinkSync')(path),
    () => disk.readlink(path),
  );
export const readdir = (disk: Disk, path: string): Dual<string[]> =>
  call(
    () => twin(disk, 'readdirSync')(path),
    () => disk.readdir(path),
  );
export const mkdir = (disk: Disk, path: string, mode?: number): Dual<void> =>
  call(
    () => twin(disk, 'mkdirSync')(path, mode),
    () => disk.mkdir(path, mode),
  );
export const rmdir = (disk: Disk, path: string): Dual<void> =>
  call(
    () => twin(disk, 'rmdirSync')(path),
    () => disk.rmdir(path),
  );
export const rename = (disk: Disk, from: string, to: string): Dual<void> =>
  call(
    () => twin(disk, 'renameSync')(from, to),
    () => disk.rename(from, to),
  );
export const link = (disk: Disk, existing: string, to: string): Dual<void> =>
  call(
    () => twin(disk, 'linkSync')(existing, to),
    () => disk.link(existing, to),
  );
export const unlink = (disk: Disk, path: string): Dual<void> =>
  call(
    () => twin(disk, 'unlinkSync')(path),
    () => disk.unlink(path),
  );
export const chmod = (disk: Disk, path: string, mode: number): Dual<void> =>
  call(
    () => twin(disk, 'chmodSync')(path, mode),
    () => disk.chmod(path, mode),
  );
export const chown = (disk: Disk, path: string, uid: number, gid: number): Dual<void> =>
  call(
    () => twin(disk, 'chownSync')(path, uid, gid),
    () => disk.chown(path, uid, gid),
  );
export const utimes = (disk: Disk, path: string, atimeMs: number, mtimeMs: number): Dual<void> =>
  call(
    () => twin(disk, 'utimesSync')(path, atimeMs, mtimeMs),
    () => disk.utimes(path, atimeMs, mtimeMs),
  );
export const syncDir = (disk: Disk, path: string): Dual<void> =>
  call(
    () => twin(disk, 'syncDirSync')(path),
    () => disk.syncDir(path),
  );

// Calls on an open file.

export const write = (file: DiskFile, data: Uint8Array, position?: number): Dual<void> =>
  call(
    () => fileTwin(file, 'writeSync')(data, position),
    () => file.write(data, position),
  );
export const read = (file: DiskFile, buffer: Uint8Array, position: number, length?: number): Dual<number> =>
  call(
    () => fileTwin(file, 'readSync')(buffer, position, length),
    () => file.read(buffer, position, length),
  );
export const fsync = (file: DiskFile): Dual<void> =>
  call(
    () => fileTwin(file, 'syncSync')(),
    () => file.sync(),
  );
export const fstat = (file: DiskFile): Dual<DiskStat> =>
  call(
    () => fileTwin(file, 'statSync')(),
    () => file.stat(),
  );
export const fchmod = (file: DiskFile, mode: number): Dual<void> =>
  call(
    () => fileTwin(file, 'chmodSync')(mode),
    () => file.chmod(mode),
  );
export const fchown = (file: DiskFile, uid: number, gid: number): Dual<void> =>
  call(
    () => fileTwin(file, 'chownSync')(uid, gid),
    () => file.chown(uid, gid),
  );
export const ftruncate = (file: DiskFile, length: number): Dual<void> =>
  call(
    () => fileTwin(file, 'truncateSync')(length),
    () => file.truncate(length),
  );
export const close = (file: DiskFile): Dual<void> =>
  call(
    () => fileTwin(file, 'closeSync')(),
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
