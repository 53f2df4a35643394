/**
 * The committing half of the protocol (recover.ts is the other half). See
 * docs/PROTOCOL.md for the numbered steps; in short:
 *
 *   1. resolve every path in the root; lock them all in sorted order; replay any dead
 *      journal that may still hold changes to them;
 *   2. write the intent journal (every staged file and backup link named), sync it;
 *   3. write every staged file beside its target and sync them, in parallel; hard-link
 *      each file about to be replaced or removed (for an undo); sync those folders;
 *   4. backup hook; append the commit record and sync it: THE COMMIT POINT;
 *   5. rename staged files over targets, then unlink removed files; sync each folder once;
 *   6. remove the journal (durably), release the locks.
 *
 * A failure before 4 removes what 3 made. A failure in 5 undoes what 5 did, using the
 * backup links, and marks the journal `abort` before cleaning up.
 */
import { dirname } from 'node:path';
import { pathKey, type Disk, type DiskStat } from '../disk/index.js';
import { abortError } from '../base/abort.js';
import { AtomicError, fsError, invalidArg, TransactionError } from '../base/errors.js';
import type { RetryOptions } from '../base/retry.js';
import { syncDirectories } from '../file/dir-sync.js';
import { hashIfExists } from '../file/hash-existing.js';
import { lstatIfPresent, unlinkIfPresent } from '../file/if-present.js';
import {
  preserveOf,
  recordOf,
  type AuditFile,
  type AuditHook,
  type BackupHook,
  type BackupRequest,
} from '../file/hooks.js';
import type { LockOwner } from '../lock/lock-link.js';
import { describe } from '../file/replace.js';
import { noHardLink } from '../file/hard-links.js';
import { stagePathFor } from '../file/temp-name.js';
import { backupsOf, dirsOf, removeOwned, renameIfPresent, rollForward, userRemovalsOf } from './apply.js';
import { budgetUntil, type Coordinator } from '../lock/coordinator.js';
import { JournalWriter, journalPathFor, type TxOp } from './journal.js';
import { markActive, markInactive } from './owner.js';
import { lockSettled } from './recover.js';
import { createOwner, removeOwner } from './lock-owner.js';
import {
  dirsRecordPathFor,
  foldersToCreate,
  makeParents,
  removeDirsRecord,
  removeEmptyDirs,
  type MadeDirs,
} from './parent-dirs.js';
import { rootResolver } from './root-paths.js';
import { inParallel, stageFile, type Planned } from './stage.js';
import type { Staged } from './staged.js';
import { all, fork, settle, type Dual } from '../disk/dual.js';
import * as io from '../disk/io.js';
import { asyncOnly } from '../base/async-only.js';
import type { ReleaseAll } from './locks.js';

export interface CommitContext {
  disk: Disk;
  root: string;
  realRoot: string;
  id: string;
  retry?: RetryOptions | undefined;
  signal?: AbortSignal | undefined;
  timeout?: number | undefined;
  backup?: BackupHook | undefined;
  audit?: AuditHook | undefined;
  /** Locks, liveness and the commit decision kept in a coordination service (etcd). */
  coordinator?: Coordinator | undefined;
  /** Set by handleSignals(): roll back if the commit point is not reached yet. */
  interrupted: boolean;
  /** Set once the commit record is durable. */
  committed: boolean;
  /** The batch's name, kept in its backup, its audit entry and its journal. */
  name?: string | undefined;
  /** What the backup and the audit entry call this change (default 'transaction'). */
  operation?: string | undefined;
  /** Passed on to the backup hook (a restore names the backup it undoes). */
  restoreOf?: string | undefined;
  /** The folders this transaction made for its files, once it made any. */
  dirs?: MadeDirs | undefined;
}

export interface CommitResult {
  id: string;
  /** Real paths of every file created, replaced or removed. */
  changed: string[];
}

const STAGE_CONCURRENCY = 64;

function failed(ctx: CommitContext, rolledBack: boolean, cause: unknown, what: string): TransactionError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new TransactionError(`transaction ${ctx.id} in ${ctx.root}: ${what}: ${reason}`, rolledBack, {
    cause,
    transactionId: ctx.id,
    path: (cause as { path?: string } | undefined)?.path,
  });
}

/**
 * A coordinated commit that cannot finish here and must not undo anything (recovery settles
 * it from the coordinator's decision): the journal is closed, and left for recovery.
 */
function* closedUnsettled(
  ctx: CommitContext,
  journal: JournalWriter,
  cause: unknown,
  what: string,
): Dual<TransactionError> {
  yield* journal.close();
  return failed(ctx, false, cause, what);
}

/** A call on the coordinator (etcd): asynchronous only; commitSync refuses a coordinator before it starts. */
function coordinated<T>(ctx: CommitContext, fn: () => Promise<T>): Dual<T> {
  return asyncOnly('commit', ctx.root, 'a coordinator', fn);
}

function checkInterrupt(ctx: CommitContext): void {
  if (ctx.signal?.aborted) throw abortError(ctx.signal, 'transaction', ctx.root);
  if (ctx.interrupted)
    throw new AtomicError('EINTR', `transaction ${ctx.id} in ${ctx.root}: interrupted by a signal`, { path: ctx.root });
}

/** Resolves every path to a real path in the root; refuses a file named twice. */
function* resolveAll(ctx: CommitContext, staged: readonly Staged[], missing: Set<string>): Dual<Planned[]> {
  const resolveInRoot = rootResolver(ctx.disk, ctx.realRoot, missing);
  const planned = yield* all(
    staged.map(function* (s): Dual<Planned> {
      return {
        staged: s,
        target: yield* resolveInRoot(s.path, s.op),
        source: s.kind === 'copy' || s.kind === 'move' ? yield* resolveInRoot(s.from, s.op) : undefined,
        stat: undefined,
      };
    }),
  );
  const seen = new Set<string>();
  for (const p of planned) {
    for (const path of [p.target, p.staged.kind === 'move' ? p.source : undefined]) {
      if (path === undefined) continue;
      // Two spellings of one name (letter case, where it does not count) are one file.
      const key = pathKey(ctx.disk.capabilities, path);
      if (seen.has(key)) throw invalidArg(p.staged.op, p.staged.path, `${path} is changed twice in one transaction`);
      seen.add(key);
    }
  }
  return planned;
}

function touchedBy(planned: readonly Planned[]): string[] {
  return planned.flatMap((p) => [p.target, ...(p.source === undefined ? [] : [p.source])]);
}

function* lstatOrUndefined(disk: Disk, path: string, op: string, shown: string): Dual<DiskStat | undefined> {
  const st = yield* lstatIfPresent(disk, path, op, shown);
  if (st?.isDirectory())
    throw new AtomicError('EISDIR', `${op} ${shown}: is a directory, expected a file`, { path: shown });
  return st;
}

/** Checks made under the locks (the state that counts) and the names of every file to make. */
function* plan(ctx: CommitContext, planned: Planned[]): Dual<{ planned: Planned[]; ops: TxOp[] }> {
  // One lstat per path, all at once: the checks below need only their results.
  const stats = yield* all(
    planned.map(function* (p) {
      const s = p.staged;
      const from = s.kind === 'copy' || s.kind === 'move' ? s.from : '';
      const [target, source] = yield* all([
        lstatOrUndefined(ctx.disk, p.target, s.op, s.path),
        ...(p.source === undefined ? [] : [lstatOrUndefined(ctx.disk, p.source, s.op, from)]),
      ]);
      return { target, source };
    }),
  );
  const kept: Planned[] = [];
  for (const [i, p] of planned.entries()) {
    const s = p.staged;
    p.stat = stats[i]?.target;
    if (s.kind === 'write' && s.create && p.stat)
      throw new AtomicError('EEXIST', `${s.op} ${s.path}: already exists`, { path: s.path });
    if (s.kind === 'delete' && !p.stat) {
      if (s.force) continue;
      throw new AtomicError('ENOENT', `${s.op} ${s.path}: no such file or directory`, { path: s.path });
    }
    if ((s.kind === 'copy' || s.kind === 'move') && !stats[i]?.source) {
      throw new AtomicError('ENOENT', `${s.op} ${s.from}: no such file or directory`, { path: s.from });
    }
    if (s.kind !== 'delete') p.stage = stagePathFor(p.target, ctx.id);
    kept.push(p);
  }
  const ops = kept.map((p): TxOp => {
    const backup = p.stat ? stagePathFor(p.target, ctx.id) : undefined;
    const s = p.staged;
    if (s.kind === 'delete') return { kind: 'delete', target: p.target, backup };
    if (s.kind === 'move')
      return {
        kind: 'move',
        source: p.source ?? s.fromAbs,
        target: p.target,
        stage: p.stage ?? '',
        backup,
        sourceBackup: stagePathFor(p.source ?? s.fromAbs, ctx.id),
      };
    return {
      kind: 'put',
      target: p.target,
      stage: p.stage ?? '',
      backup,
      create: s.kind === 'write' && s.create ? true : undefined,
    };
  });
  return { planned: kept, ops };
}

/** Hard links to files about to be replaced or removed, so that a failed apply can be undone. */
function* linkBackups(disk: Disk, ops: readonly TxOp[]): Dual<Set<string>> {
  const made = new Set<string>();
  const pairs = ops.flatMap((op) => [
    ...(op.backup === undefined ? [] : [[op.target, op.backup] as const]),
    ...(op.kind === 'move' && op.sourceBackup !== undefined ? [[op.source, op.sourceBackup] as const] : []),
  ]);
  yield* all(
    pairs.map(function* ([path, backup]) {
      try {
        yield* io.link(disk, path, backup);
        made.add(backup);
      } catch (err) {
        // No hard links here: the commit still works, only an undo in process does not.
        if (noHardLink(err)) return;
        throw fsError(err, 'transaction', path);
      }
    }),
  );
  return made;
}

function* auditBefore(ctx: CommitContext, planned: readonly Planned[]): Dual<Map<string, string | null>> {
  if (!ctx.audit) return new Map();
  const paths = touchedBy(planned);
  const hashes = yield* all(paths.map((path) => hashIfExists(ctx.disk, path)));
  return new Map(paths.map((path, i) => [path, hashes[i] ?? null]));
}

function auditFiles(planned: readonly Planned[], before: Map<string, string | null>, applied: boolean): AuditFile[] {
  return planned.flatMap((p) => {
    const was = before.get(p.target) ?? null;
    const moved = p.source !== undefined && p.staged.kind === 'move';
    const after = !applied
      ? was
      : p.staged.kind === 'delete'
        ? null
        : p.written?.sha256 || (moved ? (before.get(p.source ?? '') ?? null) : null);
    const files: AuditFile[] = [
      { path: p.target, before: was, after, size: applied && p.staged.kind !== 'delete' ? (p.written?.bytes ?? 0) : 0 },
    ];
    if (moved && p.source !== undefined) {
      const src = before.get(p.source) ?? null;
      files.push({ path: p.source, before: src, after: applied ? null : src, size: 0 });
    }
    return files;
  });
}

/** Runs the whole protocol for `staged`; throws TransactionError on failure. */
export function* runCommit(ctx: CommitContext, staged: readonly Staged[]): Dual<CommitResult> {
  markActive(ctx.id);
  let planned: Planned[] = [];
  let before = new Map<string, string | null>();
  let backupId: string | undefined;
  try {
    let release: ReleaseAll | undefined;
    let owner: LockOwner | undefined;
    let entered = false;
    let rolledBack = false;
    try {
      checkInterrupt(ctx);
      const missing = new Set<string>();
      planned = inExistingFolders(yield* resolveAll(ctx, staged, missing), missing);
      yield* createParents(ctx, planned, missing);
      const coordinator = ctx.coordinator;
      if (coordinator) {
        // Alive for recovery elsewhere from before our journal exists until we are done.
        yield* coordinated(ctx, () =>
          coordinator.enter(ctx.id, ctx.timeout === undefined ? undefined : budgetUntil(Date.now() + ctx.timeout)),
        );
        entered = true;
      } else {
        owner = yield* createOwner(ctx.disk, ctx.realRoot, ctx.id, touchedBy(planned));
      }
      release = yield* lockSettled(ctx.disk, ctx.realRoot, touchedBy(planned), ctx, owner, ctx.id);
      const result = yield* commitLocked(ctx, planned, (b, id) => {
        before = b;
        backupId = id;
      });
      yield* recordAudit(ctx, planned, before, backupId, 'ok', undefined);
      return result;
    } catch (err) {
      const txErr =
        err instanceof TransactionError
          ? err
          : failed(ctx, true, err, 'failed before its commit point; nothing was changed');
      rolledBack = txErr.rolledBack;
      yield* quietly(recordAudit(ctx, planned, before, backupId, txErr.rolledBack ? 'rolled-back' : 'failed', txErr));
      throw txErr;
    } finally {
      if (release) yield* release();
      // Best effort: one left behind is removed by recovery once this transaction is over.
      if (owner) yield* quietly(removeOwner(ctx.disk, owner));
      // Only now, with our locks (which live in them) gone, can the folders be empty.
      // Best effort too: the folder journal stays for recovery if this fails.
      if (rolledBack && ctx.dirs) yield* quietly(dropParents(ctx.disk, ctx.dirs));
      // A journal left behind (rolledBack: false) is then for any recovery to complete.
      const coordinator = ctx.coordinator;
      if (entered && coordinator) yield* quietly(coordinated(ctx, () => coordinator.leave(ctx.id)));
    }
  } finally {
    markInactive(ctx.id);
  }
}

/** Runs a best-effort step: its failure is dropped (each caller says why that is safe). */
function* quietly(step: Dual<unknown>): Dual<void> {
  try {
    yield* step;
  } catch {
    // See the caller.
  }
}

/** What the backup keeps besides the files: which files the batch creates and removes, its name. */
function backupRequest(ctx: CommitContext, planned: readonly Planned[]): BackupRequest {
  return {
    operation: ctx.operation ?? 'transaction',
    root: ctx.realRoot,
    transactionId: ctx.id,
    name: ctx.name,
    created: planned.filter((p) => p.staged.kind !== 'delete' && !p.stat).map((p) => p.target),
    deleted: planned.flatMap((p) =>
      p.staged.kind === 'delete' ? [p.target] : p.staged.kind === 'move' && p.source !== undefined ? [p.source] : [],
    ),
    createdDirs: ctx.dirs?.made ?? [],
    restoreOf: ctx.restoreOf,
  };
}

/**
 * A file in a folder that does not exist cannot be deleted, copied or moved (nor locked:
 * its lock lives beside it): ENOENT naming it, before anything happens; a forced delete
 * of it has nothing to do and is dropped.
 */
function inExistingFolders(planned: Planned[], missing: ReadonlySet<string>): Planned[] {
  if (missing.size === 0) return planned;
  return planned.filter((p) => {
    const s = p.staged;
    if ((s.kind === 'copy' || s.kind === 'move') && p.source !== undefined && missing.has(dirname(p.source))) {
      throw new AtomicError('ENOENT', `${s.op} ${s.from}: no such file or directory`, { path: s.from });
    }
    if (s.kind !== 'delete' || !missing.has(dirname(p.target))) return true;
    if (s.force) return false;
    throw new AtomicError('ENOENT', `${s.op} ${s.path}: no such file or directory`, { path: s.path });
  });
}

/** Makes the missing folders of every file the transaction writes (see parent-dirs.ts). */
function* createParents(ctx: CommitContext, planned: readonly Planned[], missing: ReadonlySet<string>): Dual<void> {
  if (missing.size === 0) return;
  const written = planned.filter((p) => p.staged.kind !== 'delete').map((p) => p.target);
  const dirs = foldersToCreate(ctx.realRoot, written, missing);
  if (dirs.length === 0) return;
  ctx.dirs = { record: dirsRecordPathFor(ctx.realRoot, ctx.id), named: [], made: [] };
  yield* makeParents(ctx.disk, ctx.realRoot, ctx.id, dirs, ctx.dirs);
}

/** A rolled-back transaction's folders: removed if empty, then their journal. */
function* dropParents(disk: Disk, dirs: MadeDirs): Dual<void> {
  yield* removeEmptyDirs(disk, dirs.made);
  yield* removeDirsRecord(disk, dirs.record);
}

function* recordAudit(
  ctx: CommitContext,
  planned: readonly Planned[],
  before: Map<string, string | null>,
  backupId: string | undefined,
  outcome: 'ok' | 'rolled-back' | 'failed',
  err: unknown,
): Dual<void> {
  if (!ctx.audit) return;
  if (outcome !== 'ok') {
    // It failed before the files were hashed: they are as they were (rolled back), so
    // their hashes now are their hashes before.
    for (const path of touchedBy(planned)) if (!before.has(path)) before.set(path, yield* hashOrNull(ctx.disk, path));
  }
  yield* recordOf(ctx.audit, {
    operation: ctx.operation ?? 'transaction',
    name: ctx.name,
    transactionId: ctx.id,
    backupId,
    outcome,
    files: auditFiles(planned, before, outcome === 'ok'),
    error:
      err === undefined
        ? undefined
        : describe(err instanceof TransactionError && err.cause !== undefined ? err.cause : err),
  });
}

function* hashOrNull(disk: Disk, path: string): Dual<string | null> {
  try {
    return yield* hashIfExists(disk, path);
  } catch {
    return null;
  }
}

function* commitLocked(
  ctx: CommitContext,
  every: Planned[],
  onBefore: (before: Map<string, string | null>, backupId: string | undefined) => void,
): Dual<CommitResult> {
  const { planned, ops } = yield* plan(ctx, every);
  if (ops.length === 0) return { id: ctx.id, changed: [] };
  // Hashed under the locks, before anything changes; kept in the journal too, so that a
  // recovery of this transaction can record what the files were.
  const before = yield* auditBefore(ctx, planned);
  onBefore(before, undefined);
  const journal = yield* JournalWriter.create(ctx.disk, journalPathFor(ctx.realRoot, ctx.id), {
    v: 1,
    type: 'tx',
    id: ctx.id,
    root: ctx.realRoot,
    pid: process.pid,
    createdAt: Date.now(),
    name: ctx.name,
    hashes: ctx.audit ? Object.fromEntries(before) : undefined,
    ops,
  });
  let backups: Set<string>;
  let markAttempted = false;
  try {
    // Staging and the backup links run together; both are waited for before either's failure counts.
    const staging = yield* fork(
      inParallel(planned, STAGE_CONCURRENCY, (p) =>
        stageFile(ctx.disk, p, ctx.retry, ctx.signal, ctx.audit !== undefined),
      ),
    );
    const linking = yield* fork(linkBackups(ctx.disk, ops));
    const staged = yield* settle(staging);
    const linked = yield* settle(linking);
    if (!staged.ok) throw staged.error;
    if (!linked.ok) throw linked.error;
    backups = linked.value;
    // Staged files and backup links are new entries: they must survive a crash once the
    // commit record says to use them.
    yield* syncDirectories(ctx.disk, dirsOf(ops));
    const backupId = ctx.backup
      ? yield* preserveOf(ctx.backup, touchedBy(planned), backupRequest(ctx, planned))
      : undefined;
    onBefore(before, backupId);
    checkInterrupt(ctx);
    if (!ctx.coordinator) {
      markAttempted = true;
      yield* journal.mark('commit'); // THE COMMIT POINT
    }
  } catch (err) {
    throw yield* rollBackBeforeCommit(ctx, journal, ops, err, markAttempted);
  }
  const keys = lockKeysOf(planned);
  if (ctx.coordinator) yield* decide(ctx, ctx.coordinator, journal, ops, keys);
  ctx.committed = true;
  if (ctx.coordinator) yield* applyCoordinated(ctx, ctx.coordinator, journal, ops, keys);
  else yield* applyInProcess(ctx, journal, ops, backups);
  const changed = planned.flatMap((p) => [
    p.target,
    ...(p.staged.kind === 'move' && p.source !== undefined ? [p.source] : []),
  ]);
  return { id: ctx.id, changed };
}

/** The keys the transaction locked: its paths, sorted, once each (as lockAll takes them). */
function lockKeysOf(planned: readonly Planned[]): string[] {
  return [...new Set(touchedBy(planned))].sort();
}

/**
 * THE COMMIT POINT of a coordinated transaction: the decision recorded in the
 * coordinator, on the condition that every lock is still ours. Then the journal's commit
 * record, so that the journal on disk tells every reader the same. A decision whose
 * outcome is unknown (the request failed) is settled by trying to abort: one of the two
 * must stand.
 */
function* decide(
  ctx: CommitContext,
  coordinator: Coordinator,
  journal: JournalWriter,
  ops: readonly TxOp[],
  keys: readonly string[],
): Dual<void> {
  let decided: boolean;
  try {
    decided = yield* coordinated(ctx, () => coordinator.decideCommit(ctx.id, keys));
  } catch (err) {
    let outcome: string;
    try {
      outcome = yield* coordinated(ctx, () => coordinator.decideAbort(ctx.id));
    } catch {
      throw yield* closedUnsettled(
        ctx,
        journal,
        err,
        'could not learn whether its commit decision was recorded (the coordinator did not answer); recover(root) settles it once the coordinator is back',
      );
    }
    if (outcome === 'aborted') throw yield* rollBackBeforeCommit(ctx, journal, ops, err, false);
    decided = true;
  }
  if (!decided) {
    const lost = new AtomicError(
      'ECOORDINATOR',
      `transaction ${ctx.id} in ${ctx.root}: its locks were lost before its commit decision (its lease in the coordinator expired, and recovery elsewhere may have aborted it); it cannot commit`,
      { path: ctx.root },
    );
    throw yield* rollBackBeforeCommit(ctx, journal, ops, lost, false);
  }
  try {
    yield* journal.mark('commit');
  } catch (err) {
    throw yield* closedUnsettled(
      ctx,
      journal,
      err,
      'is committed (its decision is recorded in the coordinator), but its journal could not say so; recover(root) completes it',
    );
  }
}

/**
 * Apply after a coordinated decision: the idempotent roll-forward that recovery runs, and
 * no undo in process. Once its lease is lost, a recovery on another host may be applying
 * the same journal at the same time; both renaming the same staged files is harmless (a
 * staged name is renamed once, the other finds it gone), but undoing would not be. The
 * user's files it removes are removed only while its locks are still its own.
 */
function* applyCoordinated(
  ctx: CommitContext,
  coordinator: Coordinator,
  journal: JournalWriter,
  ops: readonly TxOp[],
  keys: readonly string[],
): Dual<void> {
  try {
    yield* rollForward(ctx.disk, ops, ctx.retry, function* () {
      if (!(yield* coordinated(ctx, () => coordinator.holds(keys, ctx.id, true)))) {
        throw new AtomicError(
          'ECOORDINATOR',
          `transaction ${ctx.id} in ${ctx.root}: its locks were lost after its commit decision (its lease expired); recovery elsewhere completes it`,
          { path: ctx.root },
        );
      }
    });
    yield* journal.remove();
  } catch (err) {
    throw yield* closedUnsettled(
      ctx,
      journal,
      err,
      'is committed (its decision is recorded in the coordinator), but was not fully applied here; recover(root) completes it',
    );
  }
  yield* quietly(coordinated(ctx, () => coordinator.forget(ctx.id)));
}

/**
 * Normally the staged files go first and the journal last, so that no staged file is
 * ever left without a journal naming it. But if writing the commit record failed, the
 * record may be on disk all the same (a failed fsync says nothing about the write): then
 * the journal goes first, for a journal that says "commit" must never outlive its staged
 * files. If removing it fails, everything stays, and recovery completes the transaction.
 */
function* rollBackBeforeCommit(
  ctx: CommitContext,
  journal: JournalWriter,
  ops: readonly TxOp[],
  cause: unknown,
  markAttempted: boolean,
): Dual<TransactionError> {
  try {
    yield* journal.close();
    if (markAttempted) yield* journal.remove();
    yield* removeOwned(ctx.disk, ops, ctx.retry);
    if (!markAttempted) yield* journal.remove();
    return failed(ctx, true, cause, 'failed before its commit point and was rolled back');
  } catch (rbErr) {
    return failed(ctx, false, cause, `failed, and its rollback failed too (${describe(rbErr)}); run recover(root)`);
  }
}

/** Step 5 and 6, with an undo if step 5 fails. */
function* applyInProcess(
  ctx: CommitContext,
  journal: JournalWriter,
  ops: readonly TxOp[],
  backups: Set<string>,
): Dual<void> {
  const disk = ctx.disk;
  const renamed: TxOp[] = [];
  const removed: string[] = [];
  let failure = yield* firstFailure(
    ops.map(function* (op) {
      if (op.kind === 'delete') return;
      yield* renameOrThrow(disk, op.stage, op.target, ctx.retry);
      renamed.push(op);
    }),
  );
  if (!failure) {
    failure = yield* firstFailure(
      userRemovalsOf(ops).map(function* (p) {
        yield* unlinkIfPresent(disk, p, 'unlink', ctx.retry);
        removed.push(p);
      }),
    );
  }
  if (failure) throw yield* undo(ctx, journal, ops, backups, renamed, removed, failure.error);
  try {
    yield* all(backupsOf(ops).map((p) => unlinkIfPresent(disk, p, 'unlink', ctx.retry)));
    // Every rename and unlink becomes durable here, each folder synced once, in parallel.
    yield* syncDirectories(disk, dirsOf(ops));
    // The folders made now hold the new files: their journal can go. The journal's
    // removal below syncs `.atomicfs/`, which makes this unlink durable too.
    if (ctx.dirs) yield* unlinkIfPresent(disk, ctx.dirs.record, 'unlink', ctx.retry);
    yield* journal.remove();
  } catch (err) {
    throw failed(ctx, false, err, 'was committed and applied, but could not be made durable; run recover(root)');
  }
}

/**
 * Runs every step (together, asynchronously), each to its end; the first failure, if any
 * (Promise.allSettled's use here: an undo needs to know everything that was done).
 */
function* firstFailure(steps: Dual<void>[]): Dual<{ error: unknown } | undefined> {
  const tasks = [];
  for (const step of steps) tasks.push(yield* fork(step));
  let failure: { error: unknown } | undefined;
  for (const task of tasks) {
    const r = yield* settle(task);
    if (!r.ok) failure ??= { error: r.error };
  }
  return failure;
}

function* renameOrThrow(disk: Disk, from: string, to: string, retry: RetryOptions | undefined): Dual<void> {
  if (!(yield* renameIfPresent(disk, from, to, retry))) {
    throw new AtomicError('ENOENT', `transaction: staged file for ${to} vanished`, { path: to });
  }
}

/** Puts back what a failed apply changed, then rolls back; TransactionError either way. */
function* undo(
  ctx: CommitContext,
  journal: JournalWriter,
  ops: readonly TxOp[],
  backups: Set<string>,
  renamed: readonly TxOp[],
  removed: readonly string[],
  cause: unknown,
): Dual<TransactionError> {
  const disk = ctx.disk;
  const backupOf = new Map<string, string | undefined>();
  for (const op of ops) {
    backupOf.set(op.target, op.backup);
    if (op.kind === 'move') backupOf.set(op.source, op.sourceBackup);
  }
  const putBack = function* (path: string): Dual<void> {
    const backup = backupOf.get(path);
    if (backup === undefined) return; // it did not exist before
    if (!backups.has(backup)) throw new AtomicError('ENOTSUP', `${path}: no backup link to restore it from`, { path });
    yield* renameOrThrow(disk, backup, path, ctx.retry);
  };
  try {
    yield* all(
      renamed.map(function* (op) {
        if (op.kind === 'delete') return;
        yield* renameOrThrow(disk, op.target, op.stage, ctx.retry); // the new file back to its staged name
        yield* putBack(op.target);
      }),
    );
    yield* all(removed.map(putBack));
    // The undo must be durable before the journal says so.
    yield* syncDirectories(disk, dirsOf(ops));
    yield* journal.mark('abort');
    yield* journal.close();
    yield* removeOwned(disk, ops, ctx.retry);
    yield* journal.remove();
  } catch (undoErr) {
    yield* journal.close();
    return failed(
      ctx,
      false,
      cause,
      `failed after its commit point and could not be undone (${describe(undoErr)}); run recover(root) to complete it`,
    );
  }
  return failed(ctx, true, cause, 'failed while applying and was undone; nothing was changed');
}
