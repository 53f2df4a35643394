/**
 * guard(paths, fn): for code that edits files in place (a tool that rewrites a file
 * through its own handle, say), which no rename can make atomic. The other direction of
 * the journal: the originals are copied aside and synced, and the journal marked
 * `ready`, before `fn` runs; if `fn` throws, or the process dies (then on recovery), the
 * originals are renamed back. If `fn` resolves, its edits are synced, the journal marked
 * `done`, and the copies dropped.
 */
import { syncFlags, type Disk } from '../disk/index.js';
import { AtomicError, errorCode, fsError, invalidArg, TransactionError } from '../base/errors.js';
import type { RetryOptions } from '../base/retry.js';
import { syncDirectories } from '../file/dir-sync.js';
import { diskOf } from '../file/options.js';
import { closeQuietly, openForRead } from '../file/open-read.js';
import { PendingFile } from '../file/pending-file.js';
import { eachChunk } from '../file/read-chunks.js';
import { describe } from '../file/replace.js';
import { stagePathFor } from '../file/temp-name.js';
import { lstatIfPresent } from '../file/if-present.js';
import { budgetUntil, type Coordinator } from '../lock/coordinator.js';
import { checkOptions } from '../base/options-check.js';
import { pathArg, type PathLike } from '../file/check-path.js';
import { dirsOf, removeOwned, restoreGuarded } from './apply.js';
import { JournalWriter, journalPathFor, type GuardOp } from './journal.js';
import { register, unregister, type Interruptible } from './live.js';
import { markActive, markInactive, newTxId } from './owner.js';
import { lockSettled, recoverRoot } from './recover.js';
import { openRoot, rootResolver } from './root-paths.js';
import { inParallel } from './stage.js';
import { checkBatchName } from './batch-name.js';
import type { AuditHook } from '../file/hooks.js';
import { hashIfExists } from '../file/hash-existing.js';
import { hashFile } from '../file/sha256-file.js';
import { runAsync, type Dual } from '../disk/dual.js';
import type { ReleaseAll } from './locks.js';

export interface GuardOptions {
  root: PathLike;
  signal?: AbortSignal | undefined;
  retry?: RetryOptions | undefined;
  /** Give up waiting for locks after this many ms. */
  timeout?: number | undefined;
  /** Locks, liveness and the keep-or-restore decision kept in a coordination service (see transaction()). */
  coordinator?: Coordinator | undefined;
  /** The batch's name: kept in its journal and its audit entry. */
  name?: string | undefined;
  /** Records one entry (operation `guard`): `ok` with the files' hashes before and after, or `rolled-back`. */
  audit?: AuditHook | undefined;
  disk?: Disk | undefined;
}

/** Copies the original aside, synced, with its mode; null if there is none. */
function* copyAside(disk: Disk, target: string, backup: string, retry: RetryOptions | undefined): Dual<void> {
  const { file, stat } = yield* openForRead(disk, target, 'guard', retry);
  let pending: PendingFile | undefined;
  try {
    // Nothing reads this copy's hash.
    const into: PendingFile = yield* PendingFile.create(disk, backup, target, target, 'guard', retry, false);
    pending = into;
    yield* eachChunk(file, { op: 'guard', path: target }, (chunk) => into.write(chunk));
    // The copy is synced: it is all that is left of the original once fn has run.
    yield* into.finish({
      mode: stat.mode & 0o7777,
      owner: { uid: stat.uid, gid: stat.gid },
      ownerRequired: false,
      fsync: true,
      verify: false,
    });
  } catch (err) {
    if (pending) yield* pending.discard();
    throw err;
  } finally {
    yield* closeQuietly(file);
  }
}

/** fsync of each guarded file that fn left in place: its edits become durable before the copies go. */
async function syncEdited(disk: Disk, ops: readonly GuardOp[]): Promise<void> {
  await Promise.all(
    ops.map(async (op) => {
      let file;
      try {
        file = await disk.open(op.target, syncFlags(disk.capabilities));
      } catch (err) {
        if (errorCode(err) === 'ENOENT') return;
        throw fsError(err, 'guard', op.target);
      }
      try {
        // fn may have written without syncing; once the backup is gone, these bytes are all there is.
        await file.sync();
        await file.close();
      } catch (err) {
        try {
          await file.close();
        } catch {
          // Failing already: the sync's error is the one to report.
        }
        throw fsError(err, 'guard', op.target);
      }
    }),
  );
  // fn may also have created, replaced or removed these files: make those entries durable.
  await runAsync(syncDirectories(disk, dirsOf(ops)));
}

export async function guard<T>(paths: readonly PathLike[], fn: () => Promise<T> | T, opts: GuardOptions): Promise<T> {
  if (!Array.isArray(paths) || paths.length === 0)
    throw invalidArg('guard', undefined, 'paths must be a non-empty array');
  if (typeof fn !== 'function') throw invalidArg('guard', undefined, 'fn must be a function');
  const files = paths.map((p: unknown) => pathArg('guard', p, 'every path'));
  if (typeof opts !== 'object' || opts === null)
    throw invalidArg('guard', undefined, 'options with a root are required');
  checkOptions('guard', 'guard', undefined, opts);
  checkBatchName('guard', String(opts.root), opts.name);
  const disk = diskOf(opts);
  const realRoot = await runAsync(openRoot(disk, opts?.root, 'guard'));
  await runAsync(recoverRoot(disk, realRoot, opts));
  const resolveInRoot = rootResolver(disk, realRoot);
  const targets = [...new Set(await Promise.all(files.map((p) => runAsync(resolveInRoot(p, 'guard')))))];
  const id = newTxId();
  markActive(id);
  let entered = false;
  let release: ReleaseAll | undefined;
  try {
    if (opts.coordinator) {
      await opts.coordinator.enter(id, opts.timeout === undefined ? undefined : budgetUntil(Date.now() + opts.timeout));
      entered = true;
    }
    release = await runAsync(lockSettled(disk, realRoot, targets, opts, undefined, id));
    return await guarded(disk, realRoot, id, targets, fn, opts);
  } finally {
    markInactive(id);
    if (release) await runAsync(release());
    if (entered) await opts.coordinator?.leave(id).catch(() => undefined);
  }
}

/**
 * With a coordinator, fn's edits are kept only if "committed" is recorded while every
 * lock is still ours: a guard whose lease was lost may be being restored by recovery on
 * another host. Throws if they are not to be kept; `restore` says whether this process
 * may still put the originals back itself (it may not once its locks are lost).
 */
async function decideKeep(
  coordinator: Coordinator,
  id: string,
  keys: readonly string[],
  realRoot: string,
): Promise<void> {
  let decided: boolean;
  try {
    decided = await coordinator.decideCommit(id, keys);
  } catch (err) {
    let outcome: string;
    try {
      outcome = await coordinator.decideAbort(id);
    } catch {
      throw new TransactionError(
        `guard in ${realRoot}: could not learn whether keeping the edits was recorded (the coordinator did not answer); recover(root) settles it once the coordinator is back`,
        false,
        { cause: err, transactionId: id },
      );
    }
    if (outcome === 'aborted') throw new GuardRestore(err);
    decided = true;
  }
  if (!decided) {
    throw new TransactionError(
      `guard in ${realRoot}: its locks were lost before the edits could be kept (its lease in the coordinator expired); recovery restores the originals`,
      false,
      {
        cause: new AtomicError('ECOORDINATOR', `guard in ${realRoot}: locks lost`, { path: realRoot }),
        transactionId: id,
      },
    );
  }
}

/** The edits are not to be kept: restore the originals (this process still holds the locks). */
class GuardRestore extends Error {
  constructor(readonly reason: unknown) {
    super('restore');
  }
}

async function guarded<T>(
  disk: Disk,
  realRoot: string,
  id: string,
  targets: string[],
  fn: () => Promise<T> | T,
  opts: GuardOptions,
): Promise<T> {
  const ops: GuardOp[] = [];
  for (const target of targets)
    ops.push({
      kind: 'guard',
      target,
      backup: (await runAsync(lstatIfPresent(disk, target, 'guard'))) ? stagePathFor(target, id) : null,
    });
  const before = opts.audit ? await Promise.all(targets.map((t) => runAsync(hashIfExists(disk, t)))) : [];
  const hashes = opts.audit ? Object.fromEntries(targets.map((t, i) => [t, before[i] ?? null])) : undefined;
  const journal = await runAsync(
    JournalWriter.create(disk, journalPathFor(realRoot, id), {
      v: 1,
      type: 'guard',
      id,
      root: realRoot,
      pid: process.pid,
      createdAt: Date.now(),
      name: opts.name,
      hashes,
      ops,
    }),
  );
  const audit = async (outcome: 'ok' | 'rolled-back', err?: unknown): Promise<void> => {
    if (!opts.audit) return;
    const after =
      outcome === 'ok' ? await Promise.all(targets.map((t) => runAsync(hashFile(disk, t)).catch(() => null))) : [];
    const files = targets.map((path, i) => {
      const was = before[i] ?? null;
      const now = outcome === 'ok' ? after[i] : undefined;
      return { path, before: was, after: outcome === 'ok' ? (now?.sha256 ?? null) : was, size: now?.bytes ?? 0 };
    });
    await opts.audit.record({
      operation: 'guard',
      name: opts.name,
      transactionId: id,
      outcome,
      files,
      error: err === undefined ? undefined : describe(err),
    });
  };
  try {
    await runAsync(
      inParallel(ops, 32, function* (op) {
        if (op.backup !== null) yield* copyAside(disk, op.target, op.backup, opts.retry);
      }),
    );
    // The copies are new entries: they must survive a crash before fn may touch the originals.
    await runAsync(syncDirectories(disk, dirsOf(ops)));
    if (opts.signal?.aborted)
      throw new AtomicError('ABORT_ERR', `guard ${realRoot}: aborted`, { path: realRoot, cause: opts.signal.reason });
    await runAsync(journal.mark('ready'));
  } catch (err) {
    await runAsync(journal.close());
    await runAsync(removeOwned(disk, ops, opts.retry)).catch(() => undefined);
    await runAsync(journal.remove()).catch(() => undefined);
    throw err;
  }
  let restoring: Promise<void> | undefined;
  const restore = (): Promise<void> =>
    (restoring ??= (async () => {
      // Once our locks are lost, recovery elsewhere restores (or has restored, and others
      // may have changed the files since): putting back from here could undo their work.
      if (opts.coordinator && !(await opts.coordinator.holds(targets, id, true))) {
        throw new AtomicError(
          'ECOORDINATOR',
          `guard in ${realRoot}: its locks were lost (its lease in the coordinator expired); recovery restores the originals`,
          { path: realRoot },
        );
      }
      await runAsync(journal.close());
      await runAsync(restoreGuarded(disk, ops, opts.retry));
      await runAsync(removeOwned(disk, ops, opts.retry));
      await runAsync(journal.remove());
    })());
  const live: Interruptible = { interrupt: restore };
  register(live);
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    try {
      await restore();
    } catch (restoreErr) {
      throw new TransactionError(
        `guard in ${realRoot}: the code failed (${describe(err)}) and restoring the originals failed too (${describe(restoreErr)}); run recover(root)`,
        false,
        { cause: err, transactionId: id },
      );
    }
    await audit('rolled-back', err).catch(() => undefined);
    throw err;
  } finally {
    unregister(live);
  }
  if (restoring) {
    await restoring;
    throw new AtomicError('EINTR', `guard in ${realRoot}: interrupted by a signal; the originals were restored`, {
      path: realRoot,
    });
  }
  try {
    await syncEdited(disk, ops);
  } catch (err) {
    // fn's edits cannot be made durable: treat it as fn failing, put the originals back.
    try {
      await restore();
    } catch (restoreErr) {
      throw new TransactionError(
        `guard in ${realRoot}: syncing the edited files failed (${describe(err)}) and restoring the originals failed too (${describe(restoreErr)}); run recover(root)`,
        false,
        { cause: err, transactionId: id },
      );
    }
    throw new TransactionError(
      `guard in ${realRoot}: the edited files could not be synced (${describe(err)}); the originals were restored`,
      true,
      { cause: err, transactionId: id },
    );
  }
  if (opts.coordinator) {
    try {
      await decideKeep(opts.coordinator, id, targets, realRoot);
    } catch (err) {
      if (!(err instanceof GuardRestore)) throw err;
      try {
        await restore();
      } catch (restoreErr) {
        throw new TransactionError(
          `guard in ${realRoot}: the coordinator did not answer (${describe(err.reason)}) and restoring the originals failed too (${describe(restoreErr)}); run recover(root)`,
          false,
          { cause: err.reason, transactionId: id },
        );
      }
      throw new TransactionError(
        `guard in ${realRoot}: the coordinator did not answer (${describe(err.reason)}); the originals were restored`,
        true,
        { cause: err.reason, transactionId: id },
      );
    }
  }
  await runAsync(journal.mark('done'));
  await runAsync(journal.close());
  await runAsync(removeOwned(disk, ops, opts.retry));
  await runAsync(journal.remove());
  await opts.coordinator?.forget(id).catch(() => undefined);
  await audit('ok');
  return result;
}
