/**
 * The disk seam: the one narrow interface through which every atomicfs operation
 * reaches the file system. The real implementation (node-disk.ts) is the only code
 * in the package that imports `node:fs`; tests put a simulated disk behind it to
 * produce the states a power cut can leave (docs/CRASH-MODEL.md).
 *
 * Keep it narrow: every method here must be modelled by a simulated disk.
 */

import type { DiskCapabilities } from './capabilities.js';

/** Open modes: read, read-write, exclusive create, create/truncate, append. */
export type OpenFlags = 'r' | 'r+' | 'wx' | 'w' | 'a' | 'ax';

export interface DiskStat {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  size: number;
  /** Full st_mode, file type bits included. */
  mode: number;
  uid: number;
  gid: number;
  ino: number;
  dev: number;
  nlink: number;
  mtimeMs: number;
  /** Last access; a disk that does not keep it (a simulated one) may leave it out. */
  atimeMs?: number;
}

export interface DiskFile {
  readonly path: string;
  /** Writes every byte of `data` (looping over short writes); at `position`, else at the current offset. */
  write(data: Uint8Array, position?: number): Promise<void>;
  /** Reads up to `length` bytes at `position` into `buffer`; resolves to the count (0 at end of file). */
  read(buffer: Uint8Array, position: number, length?: number): Promise<number>;
  /** fsync(2): the file's data and metadata reach stable storage. */
  sync(): Promise<void>;
  stat(): Promise<DiskStat>;
  /** fchmod(2). May be done before it returns (see node-disk.ts); the promise still reports its outcome. */
  chmod(mode: number): Promise<void>;
  chown(uid: number, gid: number): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/** A directory opened for syncing. */
export interface DiskDir {
  readonly path: string;
  /** fsync(2) on the directory: entry changes made in it before this call become durable. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface Disk {
  /** What this disk's platform can do (capabilities.ts); the layers above ask it. */
  readonly capabilities: DiskCapabilities;
  open(path: string, flags: OpenFlags, mode?: number): Promise<DiskFile>;
  stat(path: string): Promise<DiskStat>;
  lstat(path: string): Promise<DiskStat>;
  realpath(path: string): Promise<string>;
  readlink(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
  /** Creates one directory (not recursive); EEXIST if it exists. */
  mkdir(path: string, mode?: number): Promise<void>;
  rmdir(path: string): Promise<void>;
  /** rename(2): atomically replaces `to`. */
  rename(from: string, to: string): Promise<void>;
  /** link(2): fails with EEXIST rather than replace `to`. */
  link(existing: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  utimes(path: string, atimeMs: number, mtimeMs: number): Promise<void>;
  /** fsync(2) on a directory: entries created, renamed or removed in it become durable. */
  syncDir(path: string): Promise<void>;
  /**
   * Optional: opens a directory for a sync to come, so that the open can run alongside
   * the rename whose durability the sync is for (one round trip fewer after it). A disk
   * without it is synced through `syncDir` alone.
   */
  openDir?(path: string): Promise<DiskDir>;
}
