import type { Disk } from '../disk/index.js';
import { nodeDisk } from '../disk/index.js';
import type { RetryOptions } from '../base/retry.js';
import { withSharingRetries } from '../base/retry-sharing.js';
import { AtomicError } from '../base/errors.js';
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

/** A call's options as its synchronous twin takes them: nothing else runs until it returns, so nothing can abort it or watch its progress. */
export type SyncOptions<O> = Omit<O, 'signal' | 'onProgress'>;

export interface WriteOptions extends BaseOptions {
  /** How string content is encoded (default utf8). */
  encoding?: BufferEncoding | undefined;
  /** Permission bits; default: the replaced file's, else 0o666 & ~umask; `false`: a new file's default, ignoring the replaced file's. */
  mode?: number | false | undefined;
  /** Owner; default: the replaced file's owner, where permitted; `false`: the writer's, ignoring the replaced file's. */
  chown?: { uid: number; gid: number } | false | undefined;
  /** Create missing parent folders, durably (each created folder's parent synced). */
  parents?: boolean | undefined;
  /** Sync the file before and its directory after the rename (default true). */
  fsync?: boolean | undefined;
  /** Read the written data back and compare SHA-256 before replacing the target. */
  verify?: boolean | undefined;
  /**
   * `true`: the result also carries the new content's SHA-256. Off by default: few callers
   * use it, and it is the one piece of work a write does beyond the durable minimum.
   * (`verify`, `audit` and backups hash what they need whatever this says.)
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
}

/** The result of a write asked for the content's hash (`sha256: true`). */
export interface HashedWriteResult extends WriteResult {
  /** The new content's SHA-256, hex. */
  sha256: string;
}

/** Options of a write whose result carries `sha256`. */
export type HashedOptions<O extends WriteOptions = WriteOptions> = O & { sha256: true };

/** What the write pipeline knows once done: the hash if anything needed it. */
export interface Written extends WriteResult {
  sha256: string | undefined;
}

/** A write's result as the caller asked for it: `sha256` with `sha256: true` only. */
export function resultOf(written: Written, opts: WriteOptions | undefined): WriteResult | HashedWriteResult {
  const { path, bytes, sha256 } = written;
  if (!asksForHash(opts)) return { path, bytes };
  // The pipeline hashes whenever asked (asksForHash); this only guards that.
  if (sha256 === undefined)
    throw new AtomicError('EINVAL', `write ${path}: the content was not hashed, though sha256: true asked for it`, {
      path,
    });
  return { path, bytes, sha256 };
}

/** Whether the caller asked for the content's hash in the result. */
export function asksForHash(opts: WriteOptions | undefined): boolean {
  return opts?.sha256 === true;
}

/** Whether a write hashes its content: for its result, for `verify`, or for the audit record. */
export function hashesContent(opts: WriteOptions | undefined, forResult: boolean): boolean {
  return forResult || (opts?.verify ?? false) || opts?.audit !== undefined;
}

/** The disk a call works on, with its platform's sharing violations retried (retry-sharing.ts). */
export function diskOf(opts: BaseOptions | undefined): Disk {
  return withSharingRetries(opts?.disk ?? nodeDisk, opts?.retry);
}
