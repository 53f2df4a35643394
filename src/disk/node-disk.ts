/**
 * The real disk: `Disk` on `node:fs`. The only module in atomicfs that touches
 * `node:fs`; everything else goes through the `Disk` interface.
 *
 * Files are plain descriptors driven through the callback API rather than
 * `fs/promises` FileHandles: each FileHandle call costs noticeably more main-thread
 * time, and a durable write is a chain of a dozen such calls.
 */
import * as fs from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import type { DiskDir, DiskFile, DiskStat, DualDisk, OpenFlags } from './disk.js';
import { POSIX_CAPABILITIES, type DiskCapabilities } from './capabilities.js';

const C = fs.constants;

/**
 * Linux statfs(2) f_type of local file systems: ext2/3/4, XFS, btrfs, tmpfs, ramfs, F2FS,
 * ZFS, overlayfs (a container's root, over one of these).
 *
 * Each call sent to libuv's thread pool costs this thread a hand-over, and wakes a worker
 * if one is idle: two context switches per call, which on a small machine cost more than
 * the call's own work (figures in bench/NOTES.md), and a durable write is a chain of
 * such calls. On a local file system, a few calls on a descriptor already open never
 * wait for the device: fchmod(2) changes the inode in memory, and close(2) releases
 * memory (except after a truncation: see NodeFile.truncated). Those are made on this
 * thread there, where they take less than a hand-over would. On a network file system the same calls are round trips to a
 * server, so they stay in the thread pool, as on any file system not listed (or not yet
 * identified).
 */
const LOCAL_FS_TYPES = new Set([
  0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x858458f6, 0xf2f52010, 0x2fc12fc1, 0x794c7630,
]);

/** Folders known to be on a local file system (true) or not, or still being checked (false). */
const localFolders = new Map<string, boolean>();
const LOCAL_FOLDERS_MAX = 1024;

/** Whether calls on files in `folder` are made on this thread (see LOCAL_FS_TYPES). */
function onThread(folder: string): boolean {
  return localFolders.get(folder) === true;
}

/** Runs `fn` at once on this thread, its outcome as a promise like the thread pool's. */
function now(fn: () => void): Promise<void> {
  try {
    fn();
    return Promise.resolve();
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** Starts finding out, once per folder, whether `folder` is on a local file system. */
function learnFolder(folder: string): void {
  // A relative folder could name another one once the working directory changes.
  if (process.platform !== 'linux' || !isAbsolute(folder) || localFolders.has(folder)) return;
  // A bound on memory for processes that write into very many folders; forgetting only
  // costs a statfs more.
  if (localFolders.size >= LOCAL_FOLDERS_MAX) localFolders.clear();
  localFolders.set(folder, false);
  fs.statfs(folder, (err, info) => {
    if (!err) localFolders.set(folder, LOCAL_FS_TYPES.has(info.type));
  });
}

/** Wraps a callback-style fs call as a promise (util.promisify without its lookups). */
function call<T>(fn: (cb: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    fn((err, value) => (err ? reject(err) : resolve(value)));
  });
}

function done(fn: (cb: (err: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    fn((err) => (err ? reject(err) : resolve()));
  });
}

/** EBADF as the system gives it, for a call on a file this process already closed. */
function closedError(syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`EBADF: bad file descriptor (already closed), ${syscall} '${path}'`), {
    code: 'EBADF',
    errno: -9,
    syscall,
    path,
  });
}

class NodeFile implements DiskFile {
  // Declared, and set in the constructor only, as dual.ts's steps are: one is made per write.
  declare readonly path: string;
  declare private descriptor: number | undefined;
  /** Opened with O_TRUNC or truncated since: its close may start writeback (ext4's auto_da_alloc). */
  declare private truncated: boolean;
  /** Its folder, for `onThread` (asked on every fchmod and close made asynchronously), once known. */
  declare private folder: string | undefined;

  constructor(path: string, fd: number, truncated: boolean, folder?: string) {
    this.path = path;
    this.descriptor = fd;
    this.truncated = truncated;
    this.folder = folder;
  }

  /**
   * The open descriptor. After close its number may already belong to another file
   * opened since, so any later call fails with EBADF here instead of reaching it.
   * (Read inside the promise executors below, so the failure is a rejection.)
   */
  private get fd(): number {
    if (this.descriptor === undefined) throw closedError('fd', this.path);
    return this.descriptor;
  }

  private get onThread(): boolean {
    return onThread((this.folder ??= dirname(this.path)));
  }

  write(data: Uint8Array, position?: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let offset = 0;
      // write(2) may be short; written on from its callback until every byte is accepted.
      const more = (): void => {
        if (offset >= data.byteLength) return resolve();
        const at = position === undefined ? null : position + offset;
        try {
          fs.write(this.fd, data, offset, data.byteLength - offset, at, written);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      const written = (err: NodeJS.ErrnoException | null, bytes: number): void => {
        if (err) return reject(err);
        offset += bytes;
        more();
      };
      more();
    });
  }

  read(buffer: Uint8Array, position: number, length = buffer.byteLength): Promise<number> {
    return call<number>((cb) => fs.read(this.fd, buffer, 0, length, position, cb));
  }

  sync(): Promise<void> {
    return done((cb) => fs.fsync(this.fd, cb));
  }

  stat(): Promise<DiskStat> {
    return call<fs.Stats>((cb) => fs.fstat(this.fd, cb));
  }

  chmod(mode: number): Promise<void> | void {
    // On a local file system, done at once on this thread (see LOCAL_FS_TYPES).
    if (this.onThread) return fs.fchmodSync(this.fd, mode);
    return done((cb) => fs.fchmod(this.fd, mode, cb));
  }

  chown(uid: number, gid: number): Promise<void> {
    return done((cb) => fs.fchown(this.fd, uid, gid, cb));
  }

  truncate(length: number): Promise<void> {
    this.truncated = true;
    return done((cb) => fs.ftruncate(this.fd, length, cb));
  }

  close(): Promise<void> | void {
    const fd = this.descriptor;
    if (fd === undefined) return Promise.reject(closedError('close', this.path));
    this.descriptor = undefined;
    if (this.onThread && !this.truncated) return fs.closeSync(fd);
    return done((cb) => fs.close(fd, cb));
  }

  // The synchronous twins (disk.ts).

  writeSync(data: Uint8Array, position?: number): void {
    let offset = 0;
    while (offset < data.byteLength) {
      const at = position === undefined ? null : position + offset;
      offset += fs.writeSync(this.fd, data, offset, data.byteLength - offset, at);
    }
  }

  readSync(buffer: Uint8Array, position: number, length = buffer.byteLength): number {
    return fs.readSync(this.fd, buffer, 0, length, position);
  }

  syncSync(): void {
    fs.fsyncSync(this.fd);
  }

  statSync(): DiskStat {
    return fs.fstatSync(this.fd);
  }

  chmodSync(mode: number): void {
    fs.fchmodSync(this.fd, mode);
  }

  chownSync(uid: number, gid: number): void {
    fs.fchownSync(this.fd, uid, gid);
  }

  truncateSync(length: number): void {
    this.truncated = true;
    fs.ftruncateSync(this.fd, length);
  }

  closeSync(): void {
    const fd = this.descriptor;
    if (fd === undefined) throw closedError('close', this.path);
    this.descriptor = undefined;
    fs.closeSync(fd);
  }
}

const FLAGS: Record<OpenFlags, number> = {
  r: C.O_RDONLY,
  'r+': C.O_RDWR,
  wx: C.O_WRONLY | C.O_CREAT | C.O_EXCL,
  w: C.O_WRONLY | C.O_CREAT | C.O_TRUNC,
  a: C.O_WRONLY | C.O_CREAT | C.O_APPEND,
  ax: C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_APPEND,
};

/** macOS formats its volumes case-insensitive by default (APFS, HFS+). */
const POSIX_HERE: DiskCapabilities = Object.freeze({
  ...POSIX_CAPABILITIES,
  caseSensitive: process.platform !== 'darwin',
});

/** The POSIX driver: Linux, macOS, the BSDs. */
export const posixDisk: DualDisk = {
  capabilities: POSIX_HERE,
  open(path, flags, mode = 0o666) {
    const folder = dirname(path);
    return new Promise<NodeFile>((resolve, reject) => {
      fs.open(path, FLAGS[flags], mode, (err, fd) =>
        err ? reject(err) : resolve(new NodeFile(path, fd, flags === 'w', folder)),
      );
      // Files opened to be written are the ones whose mode is set; learn their folder's
      // file system while the open runs.
      if (flags !== 'r') learnFolder(folder);
    });
  },
  stat: (path) => call<fs.Stats>((cb) => fs.stat(path, cb)),
  lstat: (path) => call<fs.Stats>((cb) => fs.lstat(path, cb)),
  lstatIfAny: (path) =>
    new Promise<fs.Stats | undefined>((resolve, reject) => {
      fs.lstat(path, (err, st) => (err ? (err.code === 'ENOENT' ? resolve(undefined) : reject(err)) : resolve(st)));
    }),
  // realpath(3) in one call; fs.realpath's JavaScript version lstats every component.
  realpath: (path) => call<string>((cb) => fs.realpath.native(path, cb)),
  readlink: (path) => call<string>((cb) => fs.readlink(path, cb)),
  readdir: (path) => call<string[]>((cb) => fs.readdir(path, cb)),
  mkdir: (path, mode = 0o777) => done((cb) => fs.mkdir(path, { mode }, (err) => cb(err))),
  rmdir: (path) => done((cb) => fs.rmdir(path, cb)),
  rename: (from, to) => done((cb) => fs.rename(from, to, cb)),
  link: (existing, to) => done((cb) => fs.link(existing, to, cb)),
  unlink: (path) => done((cb) => fs.unlink(path, cb)),
  chmod: (path, mode) => done((cb) => fs.chmod(path, mode, cb)),
  chown: (path, uid, gid) => done((cb) => fs.chown(path, uid, gid, cb)),
  utimes: (path, atimeMs, mtimeMs) => done((cb) => fs.utimes(path, atimeMs / 1000, mtimeMs / 1000, cb)),
  async syncDir(path) {
    const dir = await openDir(path);
    try {
      await dir.sync();
    } finally {
      // Closing a read-only directory descriptor cannot fail in a way that matters, so it
      // runs off the caller's critical path.
      void dir.close();
    }
  },
  openDir,
  openSync(path, flags, mode = 0o666) {
    return new NodeFile(path, fs.openSync(path, FLAGS[flags], mode), flags === 'w');
  },
  statSync: (path) => fs.statSync(path),
  lstatSync: (path) => fs.lstatSync(path),
  lstatIfAnySync: (path) => fs.lstatSync(path, { throwIfNoEntry: false }),
  realpathSync: (path) => fs.realpathSync.native(path),
  readlinkSync: (path) => fs.readlinkSync(path),
  readdirSync: (path) => fs.readdirSync(path),
  mkdirSync: (path, mode = 0o777) => void fs.mkdirSync(path, { mode }),
  rmdirSync: (path) => fs.rmdirSync(path),
  renameSync: (from, to) => fs.renameSync(from, to),
  linkSync: (existing, to) => fs.linkSync(existing, to),
  unlinkSync: (path) => fs.unlinkSync(path),
  chmodSync: (path, mode) => fs.chmodSync(path, mode),
  chownSync: (path, uid, gid) => fs.chownSync(path, uid, gid),
  utimesSync: (path, atimeMs, mtimeMs) => fs.utimesSync(path, atimeMs / 1000, mtimeMs / 1000),
  syncDirSync(path) {
    const fd = fs.openSync(path, C.O_RDONLY | C.O_DIRECTORY);
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
};

async function openDir(path: string): Promise<DiskDir> {
  // Directories can only be opened read-only; fsync on that descriptor flushes the
  // directory's entries (renames, links, unlinks) on Linux and macOS file systems.
  let fd: number | undefined = await call<number>((cb) => fs.open(path, C.O_RDONLY | C.O_DIRECTORY, cb));
  return {
    path,
    sync: () => {
      const open = fd;
      return open === undefined ? Promise.reject(closedError('fsync', path)) : done((cb) => fs.fsync(open, cb));
    },
    close: () => {
      const open = fd;
      // Closed once only: the number may belong to another file by a second call.
      fd = undefined;
      if (open === undefined) return Promise.resolve();
      // A read-only directory descriptor: a failing close loses nothing.
      return (onThread(path) ? now(() => fs.closeSync(open)) : done((cb) => fs.close(open, cb))).catch(() => undefined);
    },
  };
}
