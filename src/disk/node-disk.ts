/**
 * The real disk: `Disk` on `node:fs/promises`. The only module in atomicfs that
 * touches `node:fs`; everything else goes through the `Disk` interface.
 */
import { promises as fsp, constants as C } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Disk, DiskFile, DiskStat, OpenFlags } from './disk.js';

class NodeFile implements DiskFile {
  constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  async write(data: Uint8Array, position?: number): Promise<void> {
    let offset = 0;
    // write(2) may be short; loop until every byte is accepted.
    while (offset < data.byteLength) {
      const at = position === undefined ? null : position + offset;
      const { bytesWritten } = await this.fh.write(data, offset, data.byteLength - offset, at);
      offset += bytesWritten;
    }
  }

  async read(buffer: Uint8Array, position: number, length = buffer.byteLength): Promise<number> {
    const { bytesRead } = await this.fh.read(buffer, 0, length, position);
    return bytesRead;
  }

  sync(): Promise<void> {
    return this.fh.sync();
  }

  stat(): Promise<DiskStat> {
    return this.fh.stat();
  }

  chmod(mode: number): Promise<void> {
    return this.fh.chmod(mode);
  }

  chown(uid: number, gid: number): Promise<void> {
    return this.fh.chown(uid, gid);
  }

  truncate(length: number): Promise<void> {
    return this.fh.truncate(length);
  }

  close(): Promise<void> {
    return this.fh.close();
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
    return new NodeFile(path, await fsp.open(path, FLAGS[flags], mode));
  },
  stat: (path) => fsp.stat(path),
  lstat: (path) => fsp.lstat(path),
  realpath: (path) => fsp.realpath(path),
  readlink: (path) => fsp.readlink(path),
  readdir: (path) => fsp.readdir(path),
  async mkdir(path, mode = 0o777) {
    await fsp.mkdir(path, { mode });
  },
  rmdir: (path) => fsp.rmdir(path),
  rename: (from, to) => fsp.rename(from, to),
  link: (existing, to) => fsp.link(existing, to),
  unlink: (path) => fsp.unlink(path),
  chmod: (path, mode) => fsp.chmod(path, mode),
  chown: (path, uid, gid) => fsp.chown(path, uid, gid),
  utimes: (path, atimeMs, mtimeMs) => fsp.utimes(path, atimeMs / 1000, mtimeMs / 1000),
  async syncDir(path) {
    // Directories can only be opened read-only; fsync on that descriptor flushes the
    // directory's entries (renames, links, unlinks) on Linux and macOS file systems.
    const fh = await fsp.open(path, C.O_RDONLY | C.O_DIRECTORY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};
