import type { Disk } from '../disk/index.js';
import { nodeDisk } from '../disk/index.js';
import type { RetryOptions } from '../base/retry.js';
import { withSharingRetries } from '../base/retry-sharing.js';
import type { AuditHook, BackupHook } from './hooks.js';

export interface Progress {
  bytes: number;
  /** Known for strings, bytes and copies; undefined for streams. */
  total: number | undefined;
}

export interface BaseOptions {
  signal?: AbortSignal | undefined;
  /**
   * Retries of transient errors (EBUSY, EMFILE, ENFILE, EAGAIN; and under Windows a rename
   * or removal while another program holds the file: EPERM, EACCES, EBUSY, by default up
   * to 10 attempts, about 1.5 to 3 s).
   */
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
  /**
   * Hash the new content for the result's `sha256` (default true). `false` saves the
   * hashing, about 0.7 ms of processor time per MiB; `sha256` is then undefined in the
   * result, unless `verify` or `audit` needed the hash anyway.
   */
  sha256?: boolean | undefined;
  backup?: BackupHook | undefined;
  audit?: AuditHook | undefined;
  onProgress?: ((progress: Progress) => void) | undefined;
}

export interface WriteResult {
  /** The absolute path written (the symbolic link's target, if the path was a link). */
  path: string;
  bytes: number;
  /** The new content's SHA-256, hex. */
  sha256: string;
}

/** The result of a write whose options may say `sha256: false`. */
export interface MaybeHashedResult {
  path: string;
  bytes: number;
  /** The new content's SHA-256, hex; undefined if it was not hashed. */
  sha256: string | undefined;
}

/** Options of a write whose result carries `sha256` (it was not turned off). */
export type HashedOptions<O extends WriteOptions = WriteOptions> = O & { sha256?: true | undefined };

/** Whether a write hashes its content: for its result, for `verify`, or for the audit record. */
export function hashesContent(opts: WriteOptions | undefined, forResult: boolean): boolean {
  return forResult || (opts?.verify ?? false) || opts?.audit !== undefined;
}

/** The disk a call works on, with its platform's sharing violations retried (retry-sharing.ts). */
export function diskOf(opts: BaseOptions | undefined): Disk {
  return withSharingRetries(opts?.disk ?? nodeDisk, opts?.retry);
}
