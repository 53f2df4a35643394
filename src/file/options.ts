import type { Disk } from '../disk/index.js';
import { nodeDisk } from '../disk/index.js';
import type { RetryOptions } from '../base/retry.js';
import type { AuditHook, BackupHook } from './hooks.js';

export interface Progress {
  bytes: number;
  /** Known for strings, bytes and copies; undefined for streams. */
  total: number | undefined;
}

export interface BaseOptions {
  signal?: AbortSignal | undefined;
  /** Retries of transient errors (EBUSY, EMFILE, ENFILE, EAGAIN). */
  retry?: RetryOptions | undefined;
  /** The file-system seam; the real disk unless given (a simulated one in tests, say). */
  disk?: Disk | undefined;
}

export interface WriteOptions extends BaseOptions {
  /** Permission bits; default: the replaced file's, else 0o666 & ~umask. */
  mode?: number | undefined;
  /** Owner; default: the replaced file's owner, where permitted. */
  chown?: { uid: number; gid: number } | undefined;
  /** Sync the file before and its directory after the rename (default true). */
  fsync?: boolean | undefined;
  /** Read the written data back and compare SHA-256 before replacing the target. */
  verify?: boolean | undefined;
  backup?: BackupHook | undefined;
  audit?: AuditHook | undefined;
  onProgress?: ((progress: Progress) => void) | undefined;
}

export interface WriteResult {
  /** The absolute path written (the symbolic link's target, if the path was a link). */
  path: string;
  bytes: number;
  sha256: string;
}

export function diskOf(opts: BaseOptions | undefined): Disk {
  return opts?.disk ?? nodeDisk;
}
