/**
 * deleteFile: removes one file, durably. A symbolic link is removed itself (as rm does),
 * never the file it points to. The previous content goes to `backup` first, and the
 * change to `audit` after.
 */
import { dirname, resolve } from 'node:path';
import type { Disk, DiskStat } from '../disk/index.js';
import { throwIfAborted } from '../base/abort.js';
import { AtomicError, errorCode, fsError } from '../base/errors.js';
import { retryTransient } from '../base/retry.js';
import { pathArg, type PathLike } from './check-path.js';
import { checkOptions } from '../base/options-check.js';
import { syncDirectory } from './dir-sync.js';
import { syncedAfter } from './synced-after.js';
import { hashIfExists } from './hash-existing.js';
import { preserveOf, recordOf, type AuditHook, type BackupHook } from './hooks.js';
import { diskOf, type BaseOptions, type SyncOptions } from './options.js';
import * as io from '../disk/io.js';
import { runAsync, runSync, type Dual } from '../disk/dual.js';
import { takeTicket } from './path-order.js';
import { realEntry } from './real-path.js';
import { describe } from './replace.js';

export interface DeleteOptions extends BaseOptions {
  /** A missing file is not an error (default false: ENOENT). */
  force?: boolean | undefined;
  /** Sync the directory after the unlink (default true). */
  fsync?: boolean | undefined;
  backup?: BackupHook | undefined;
  audit?: AuditHook | undefined;
}

const OP = 'deleteFile';

/** Removes `path`; ENOENT unless `force`; durable when it resolves unless `fsync: false`. */
export function deleteFile(given: PathLike, opts?: DeleteOptions): Promise<void> {
  return runAsync(remove(OP, given, opts));
}

/** deleteFile, synchronously (the same protocol, dual.ts). */
export function deleteFileSync(given: PathLike, opts?: SyncOptions<DeleteOptions>): void {
  runSync(remove(`${OP}Sync`, given, opts));
}

function* remove(call: string, given: PathLike, opts: DeleteOptions | undefined): Dual<void> {
  const path = pathArg(call, given);
  checkOptions(OP, call, path, opts, call.endsWith('Sync'));
  const disk = diskOf(opts);
  throwIfAborted(opts?.signal, OP, path);
  const abs = resolve(path);
  // Taken at the call: a delete issued after a write to the same path lands after it.
  const ticket = takeTicket(disk, abs, () => realEntry(disk, abs));
  const state = { removed: false };
  try {
    yield* ticket.turn();
    throwIfAborted(opts?.signal, OP, path);
    yield* removeOnce(disk, path, abs, opts, state);
  } catch (err) {
    if (!state.removed && opts?.audit) {
      try {
        yield* recordOf(opts.audit, {
          operation: OP,
          outcome: 'failed',
          error: describe(err),
          files: [{ path: abs, before: null, after: null, size: 0 }],
        });
      } catch {
        // The caller learns of the failure itself; a trail that cannot take it adds nothing.
      }
    }
    throw err;
  } finally {
    ticket.done();
  }
}

function* removeOnce(
  disk: Disk,
  path: string,
  abs: string,
  opts: DeleteOptions | undefined,
  state: { removed: boolean },
): Dual<void> {
  const stat = yield* lstatOrMissing(disk, path, abs, opts?.force ?? false);
  if (!stat) return;
  if (stat.isDirectory()) throw new AtomicError('EISDIR', `${OP} ${path}: is a directory, expected a file`, { path });
  // Removing a link loses no content (its target stays), so only real files are kept.
  const backupId =
    opts?.backup && !stat.isSymbolicLink() ? yield* preserveOf(opts.backup, [abs], { operation: OP }) : undefined;
  const before = opts?.audit && !stat.isSymbolicLink() ? yield* hashIfExists(disk, abs) : null;
  try {
    yield* retryTransient(() => io.unlink(disk, abs), opts?.retry, opts?.signal);
  } catch (err) {
    if (!(opts?.force && errorCode(err) === 'ENOENT')) throw fsError(err, OP, path);
  }
  state.removed = true;
  // Until the directory is synced a power cut can bring the removed entry back.
  if (opts?.fsync ?? true) yield* syncedAfter(syncDirectory(disk, dirname(abs)), OP, path, 'removed');
  if (opts?.audit)
    yield* recordOf(opts.audit, {
      operation: OP,
      outcome: 'ok',
      backupId,
      files: [{ path: abs, before, after: null, size: 0 }],
    });
}

/** The entry's lstat; undefined when it is missing and `force` allows that. */
function* lstatOrMissing(disk: Disk, path: string, abs: string, force: boolean): Dual<DiskStat | undefined> {
  try {
    return yield* io.lstat(disk, abs);
  } catch (err) {
    if (force && errorCode(err) === 'ENOENT') return undefined;
    throw fsError(err, OP, path);
  }
}
