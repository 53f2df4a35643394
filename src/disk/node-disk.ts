/**
 * The real disk: `Disk` on `node:fs`. The only module in atomicfs that touches
 * `node:fs`; everything else goes through the `Disk` interface.
 *
 * Files are plain descriptors driven through the callback API rather than
 * `fs/promises` FileHandles: each FileHandle call costs noticeably more main-thread
 * time, and a durable write is a chain of a dozen such calls.
 */
import * as fs from 'node:fs';
import type { Disk, DiskFile, DiskStat, OpenFlags } from './disk.js';

const C = fs.constants;

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

class NodeFile implements DiskFile {
  constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  async write(data: Uint8Array, position?: number): Promise<void> {
    let offset = 0;
    // write(2) may be short; loop until every byte is accepted.
    while (offset < data.byteLength) {
      const at = position === undefined ? null : position + offset;
      offset += await call<number>((cb) => fs.write(this.fd, data, offset, data.byteLength - offset, at, cb));
    }
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

  chmod(mode: number): Promise<void> {
    return done((cb) => fs.fchmod(this.fd, mode, cb));
  }

  chown(uid: number, gid: number): Promise<void> {
    return done((cb) => fs.fchown(this.fd, uid, gid, cb));
  }

  truncate(length: number): Promise<void> {
    return done((cb) => fs.ftruncate(this.fd, length, cb));
  }

  close(): Promise<void> {
    return done((cb) => fs.close(this.fd, cb));
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

export const nodeDisk: Disk = {
  async open(path, flags, mode = 0o666) {
    const fd = await call<number>((cb) => fs.open(path, FLAGS[flags], mode, cb));
    return new NodeFile(path, fd);
  },
  stat: (path) => call<fs.Stats>((cb) => fs.stat(path, cb)),
  lstat: (path) => call<fs.Stats>((cb) => fs.lstat(path, cb)),
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
    // Directories can only be opened read-only; fsync on that descriptor flushes the
    // directory's entries (renames, links, unlinks) on Linux and macOS file systems.
    const fd = await call<number>((cb) => fs.open(path, C.O_RDONLY | C.O_DIRECTORY, cb));
    try {
      await done((cb) => fs.fsync(fd, cb));
    } catch (err) {
      fs.close(fd, () => undefined);
      throw err;
    }
    // The sync is done and awaited; closing a read-only directory descriptor cannot
    // fail in a way that matters, so it runs off the caller's critical path.
    fs.close(fd, () => undefined);
  },
};
