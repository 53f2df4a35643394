/**
 * The disk seam: the one narrow interface through which every atomicfs operation
 * reaches the file system. The real implementation (node-disk.ts) is the only code
 * in the package that imports `node:fs`; tests put a simulated disk behind it to
 * produce the states a power cut can leave (docs/CRASH-MODEL.md).
 *
 * Keep it narrow: every method here must be modelled by a simulated disk.
 *
 * Each call has a synchronous twin (`openSync` beside `open`, …) for the synchronous
 * calls (`writeFileSync`…): protocols are written once and run either way (dual.ts), and
 * io.ts picks the twin. The twins are optional, so that a disk made for an asynchronous
 * test needs only the asynchronous calls; a synchronous call on a disk without them fails
 * with ENOTSUP.
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
  /**
   * fchmod(2). A driver may make it at once, where that costs less than a hand-over to
   * the thread pool (node-disk.ts): it then returns nothing, or throws, as a synchronous
   * call would.
   */
  chmod(mode: number): Promise<void> | void;
  chown(uid: number, gid: number): Promise<void>;
  truncate(length: number): Promise<void>;
  /** close(2); like `chmod`, possibly made at once. */
  close(): Promise<void> | void;
  writeSync?(data: Uint8Array, position?: number): void;
  readSync?(buffer: Uint8Array, position: number, length?: number): number;
  syncSync?(): void;
  statSync?(): DiskStat;
  chmodSync?(mode: number): void;
  chownSync?(uid: number, gid: number): void;
  truncateSync?(length: number): void;
  closeSync?(): void;
}

/** A directory opened for syncing. */
export interface DiskDir {
  readonly path: string;
  /** fsync(2) on the directory: entry changes made in it before this call become durable. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface Disk extends Partial<DiskSync> {
  /** What this disk's platform can do (capabilities.ts); the layers above ask it. */
  readonly capabilities: DiskCapabilities;
  open(path: string, flags: OpenFlags, mode?: number): Promise<DiskFile>;
  stat(path: string): Promise<DiskStat>;
  lstat(path: string): Promise<DiskStat>;
  /** Optional: `lstat`, but `undefined` where nothing is at `path` (see `lstatIfAnySync`). */
  lstatIfAny?(path: string): Promise<DiskStat | undefined>;
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

/** The synchronous twins of `Disk`'s calls: same arguments, same outcomes, same errors. */
export interface DiskSync {
  openSync(path: string, flags: OpenFlags, mode?: number): DiskFile;
  statSync(path: string): DiskStat;
  lstatSync(path: string): DiskStat;
  /**
   * Optional: `lstatSync`, but `undefined` where nothing is at `path` (other errors thrown
   * as `lstatSync` throws them). A missing entry is the common answer when a write creates
   * a file, and a thrown error is the costliest part of a synchronous lookup; a disk
   * without it is asked through `lstatSync`.
   */
  lstatIfAnySync?(path: string): DiskStat | undefined;
  realpathSync(path: string): string;
  readlinkSync(path: string): string;
  readdirSync(path: string): string[];
  mkdirSync(path: string, mode?: number): void;
  rmdirSync(path: string): void;
  renameSync(from: string, to: string): void;
  linkSync(existing: string, to: string): void;
  unlinkSync(path: string): void;
  chmodSync(path: string, mode: number): void;
  chownSync(path: string, uid: number, gid: number): void;
  utimesSync(path: string, atimeMs: number, mtimeMs: number): void;
  syncDirSync(path: string): void;
}

/** A disk with both kinds of call: what the real drivers and the simulated disk are. */
export type DualDisk = Disk & DiskSync;
