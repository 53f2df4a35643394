/**
 * The steps that both halves of the protocol run, the committing process and recovery
 * after a crash: each is idempotent, so that a recovery interrupted by another crash can
 * simply run again. A rename whose staged file is gone was done; an unlink of a missing
 * file was done.
 */
import { dirname } from 'node:path';
import type { Disk } from '../disk/index.js';
import { errorCode, fsError } from '../base/errors.js';
import { retryTransient, type RetryOptions } from '../base/retry.js';
import { syncDirectories } from '../file/dir-sync.js';
import { unlinkIfPresent } from '../file/if-present.js';
import { ownedBy, type GuardOp, type TxOp } from './journal.js';
import { all, type Dual } from '../disk/dual.js';
import * as io from '../disk/io.js';

/** rename(from, to); false if `from` is already gone (the rename was done before). */
export function* renameIfPresent(disk: Disk, from: string, to: string, retry?: RetryOptions): Dual<boolean> {
  try {
    yield* retryTransient(() => io.rename(disk, from, to), retry);
    return true;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false;
    throw fsError(err, 'rename', to);
  }
}

/** The user's files a committed transaction removes: deleted files, moved sources. */
export function userRemovalsOf(ops: readonly TxOp[]): string[] {
  return ops.flatMap((op) => (op.kind === 'delete' ? [op.target] : op.kind === 'move' ? [op.source] : []));
}

/** The hard links kept of replaced and removed files, for an undo in process. */
export function backupsOf(ops: readonly TxOp[]): string[] {
  return ops
    .flatMap((op) => [op.backup, op.kind === 'move' ? op.sourceBackup : undefined])
    .filter((p): p is string => p !== undefined);
}

/** Every folder an op changes an entry in. */
export function dirsOf(ops: readonly (TxOp | GuardOp)[]): string[] {
  const dirs = new Set<string>();
  for (const op of ops) {
    dirs.add(dirname(op.target));
    if (op.kind === 'move') dirs.add(dirname(op.source));
  }
  return [...dirs];
}

/**
 * Roll forward: every staged file renamed over its target, then removals, then each
 * touched folder synced once (in parallel) so that all of it is durable before the
 * journal goes. Resolves to the count of backup links removed.
 */
export function* rollForward(
  disk: Disk,
  ops: readonly TxOp[],
  retry?: RetryOptions,
  beforeRemovals?: () => Dual<void>,
): Dual<number> {
  yield* all(ops.flatMap((op) => (op.kind === 'delete' ? [] : [renameIfPresent(disk, op.stage, op.target, retry)])));
  // A rename of a staged file can only ever happen once (its name is the transaction's
  // own); an unlink of a user's file cannot tell: the caller may check it may still.
  if (userRemovalsOf(ops).length > 0 && beforeRemovals) yield* beforeRemovals();
  const users = userRemovalsOf(ops).length;
  // The user's removals and the backup links' removals, all at once; only the latter are counted.
  const removed = yield* all([
    ...userRemovalsOf(ops).map((p) => unlinkIfPresent(disk, p, 'unlink', retry)),
    ...backupsOf(ops).map((p) => unlinkIfPresent(disk, p, 'unlink', retry)),
  ]);
  // The renames and unlinks are durable only once their folders are synced.
  yield* syncDirectories(disk, dirsOf(ops));
  return removed.slice(users).filter(Boolean).length;
}

/**
 * Roll back: remove what the transaction created for itself (staged files, backup
 * links). Targets were not touched (or were already put back). Resolves to the count removed.
 */
export function* removeOwned(disk: Disk, ops: readonly (TxOp | GuardOp)[], retry?: RetryOptions): Dual<number> {
  const removed = yield* all(ops.flatMap(ownedBy).map((p) => unlinkIfPresent(disk, p, 'unlink', retry)));
  // The removals must be durable before the journal that names these files goes, or a
  // crash could bring back staged files that nothing names any more.
  yield* syncDirectories(disk, dirsOf(ops));
  return removed.filter(Boolean).length;
}

/** A guard's restore: each original renamed back, files that did not exist removed. */
export function* restoreGuarded(disk: Disk, ops: readonly GuardOp[], retry?: RetryOptions): Dual<void> {
  yield* all<unknown>(
    ops.map((op) =>
      op.backup === null
        ? unlinkIfPresent(disk, op.target, 'unlink', retry)
        : renameIfPresent(disk, op.backup, op.target, retry),
    ),
  );
  // The restored entries must be durable before the journal that could redo them goes.
  yield* syncDirectories(disk, dirsOf(ops));
}
