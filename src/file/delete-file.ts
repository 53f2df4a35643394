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
import type { AuditHook, BackupHook } from './hooks.js';
import { diskOf, type BaseOptions } from './options.js';
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
export async function deleteFile(given: PathLike, opts?: DeleteOptions): Promise<void> {
  const path = pathArg(OP, given);
  checkOptions(OP, OP, path, opts);
  const disk = diskOf(opts);
  throwIfAborted(opts?.signal, OP, path);
  const abs = resolve(path);
  // Taken at the call: a delete issued after a write to the same path lands after it.
  const ticket = takeTicket(disk, abs, () => realEntry(disk, abs));
  const state = { removed: false };
  try {
    await ticket.turn();
    throwIfAborted(opts?.signal, OP, path);
    await removeOnce(disk, path, abs, opts, state);
  } catch (err) {
    if (!state.removed)
      await opts?.audit
        ?.record({
          operation: OP,
          outcome: 'failed',
          error: describe(err),
          files: [{ path: abs, before: null, after: null, size: 0 }],
        })
        .catch(() => undefined);
    throw err;
  } finally {
    ticket.done();
  }
}

async function removeOnce(
  disk: Disk,
  path: string,
  abs: string,
  opts: DeleteOptions | undefined,
  state: { removed: boolean },
): Promise<void> {
  const stat = await lstatOrMissing(disk, path, abs, opts?.force ?? false);
  if (!stat) return;
  if (stat.isDirectory()) throw new AtomicError('EISDIR', `${OP} ${path}: is a directory, expected a file`, { path });
  // Removing a link loses no content (its target stays), so only real files are kept.
  const backupId =
    opts?.backup && !stat.isSymbolicLink() ? await opts.backup.preserve([abs], { operation: OP }) : undefined;
  const before = opts?.audit && !stat.isSymbolicLink() ? await hashIfExists(disk, abs) : null;
  try {
    await retryTransient(() => disk.unlink(abs), opts?.retry, opts?.signal);
  } catch (err) {
    if (!(opts?.force && errorCode(err) === 'ENOENT')) throw fsError(err, OP, path);
  }
  state.removed = true;
  // Until the directory is synced a power cut can bring the removed entry back.
  if (opts?.fsync ?? true) await syncedAfter(syncDirectory(disk, dirname(abs)), OP, path, 'removed');
  await opts?.audit?.record({
    operation: OP,
    outcome: 'ok',
    backupId,
    files: [{ path: abs, before, after: null, size: 0 }],
  });
}

/** The entry's lstat; undefined when it is missing and `force` allows that. */
async function lstatOrMissing(disk: Disk, path: string, abs: string, force: boolean): Promise<DiskStat | undefined> {
  try {
    return await disk.lstat(abs);
  } catch (err) {
    if (force && errorCode(err) === 'ENOENT') return undefined;
    throw fsError(err, OP, path);
  }
}
