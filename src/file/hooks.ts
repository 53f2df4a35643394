/**
 * The two small interfaces through which the core reaches backups and the audit trail.
 * Writes and transactions take an object with this shape (`backup`, `audit` options)
 * and never import the modules that implement them (BackupStore, AuditLog sit above).
 */
import { call, type Dual } from '../disk/dual.js';
import { AtomicError } from '../base/errors.js';

export interface BackupRequest {
  /** The calling operation ('writeFile', 'deleteFile', 'transaction', …). */
  operation: string;
  /** Files are kept under their paths relative to this folder (a transaction's root). */
  root?: string | undefined;
  /** The transaction this backup belongs to, if any. */
  transactionId?: string | undefined;
  /** The batch's name, if it was given one. */
  name?: string | undefined;
  /** Files the change creates (absolute; any that exist are taken as replaced): an undo removes them. */
  created?: readonly string[] | undefined;
  /** Files the change removes (absolute; also among `paths`). */
  deleted?: readonly string[] | undefined;
  /** Folders the change created for its files (absolute): an undo removes them if empty. */
  createdDirs?: readonly string[] | undefined;
  /** The backup a restore puts back (a restore's own backup is its undo). */
  restoreOf?: string | undefined;
}

export interface BackupHook {
  /**
   * Keeps the current content of `paths` (absolute; paths that do not exist are skipped)
   * as one backup, durably, before they are replaced or deleted. Resolves to the backup's
   * id, or undefined when none of the paths existed and the change creates nothing. A
   * failure here aborts the change.
   */
  preserve(paths: readonly string[], request: BackupRequest): Promise<string | undefined>;
  /** The same, synchronously: what the synchronous calls (writeFileSync…) call; they refuse a hook without it. */
  preserveSync?(paths: readonly string[], request: BackupRequest): string | undefined;
}

export type AuditOutcome = 'ok' | 'failed' | 'rolled-back';

export interface AuditFile {
  path: string;
  /** SHA-256 before the change; null if the file did not exist. */
  before: string | null;
  /** SHA-256 after the change; null if the file no longer exists. */
  after: string | null;
  /** Size in bytes after the change (0 when deleted). */
  size: number;
}

export interface AuditRecord {
  operation: string;
  files: AuditFile[];
  outcome: AuditOutcome;
  transactionId?: string | undefined;
  backupId?: string | undefined;
  /** The batch's name, if it was given one. */
  name?: string | undefined;
  /** `code: message` of the failure, when outcome is not 'ok'. */
  error?: string | undefined;
  /** Milliseconds from the public call's start to this record (the entry layer sets it). */
  durationMs?: number | undefined;
}

export interface AuditHook {
  /** Appends one entry, durably. */
  record(entry: AuditRecord): Promise<void>;
  /** The same, synchronously: what the synchronous calls call; they refuse a hook without it. */
  recordSync?(entry: AuditRecord): void;
}

/** `hook.preserve`, as a step: its synchronous twin when driven synchronously. */
export function preserveOf(
  hook: BackupHook,
  paths: readonly string[],
  request: BackupRequest,
): Dual<string | undefined> {
  return call(
    () => syncMethod(hook.preserveSync?.bind(hook), 'backup', 'preserveSync')(paths, request),
    () => hook.preserve(paths, request),
  );
}

/** `hook.record`, as a step: its synchronous twin when driven synchronously. */
export function recordOf(hook: AuditHook, entry: AuditRecord): Dual<void> {
  return call(
    () => syncMethod(hook.recordSync?.bind(hook), 'audit', 'recordSync')(entry),
    () => hook.record(entry),
  );
}

/** A hook's synchronous method; options-check.ts refuses a hook without it before any work, so this only guards that. */
function syncMethod<F>(fn: F | undefined, option: string, name: string): F {
  if (!fn)
    throw new AtomicError(
      'EINVAL',
      `the ${option} option's object has no ${name}() method, which a synchronous call needs`,
    );
  return fn;
}
