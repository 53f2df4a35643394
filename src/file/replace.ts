/**
 * The one pipeline behind every single-file write (writeFile, atomicWrite, createFile,
 * copyFile, writeJson, writeYaml): resolve the target, write a temporary file beside
 * it, set mode and owner, sync, optionally verify, then rename (or link) it into place
 * and sync the directory. On any failure or abort the temporary file is removed and the
 * target is as it was.
 */
import { dirname } from 'node:path';
import type { Disk } from '../disk/index.js';
import { abortError, throwIfAborted } from '../base/abort.js';
import { AtomicError, errorCode } from '../base/errors.js';
import { makeParents } from './make-parents.js';
import { preserveOf, recordOf, type AuditRecord } from './hooks.js';
import { call, fork, join, runAsync, runSync, settle, type Dual } from '../disk/dual.js';
import { asksForHash, diskOf, hashesContent, type WriteOptions, type Written } from './options.js';
import { takeTicket } from './path-order.js';
import { realish, realOfResolved } from './real-path.js';
import { PendingFile } from './pending-file.js';
import { resolveTarget, type Target } from './resolve-target.js';
import { tempPathFor } from './temp-name.js';
import { absolutePath } from './check-path.js';
import { hashIfExists } from './hash-existing.js';
import { modeFor } from './file-mode.js';
import { ownerFor } from './keep-owner.js';

export interface ReplaceSpec<T> {
  op: string;
  path: string;
  opts: WriteOptions | undefined;
  /** Link instead of rename: fail with EEXIST rather than replace. */
  noClobber?: boolean;
  /** Mode when neither `opts.mode` nor a replaced file gives one. `produce` may still set
   *  it, and `total`, before its first write (copyFile learns both from its source). */
  fallbackMode?: number | undefined;
  /** `produce` may run twice (the content is in memory): the data can be written before the target is resolved. */
  rewritable?: boolean | undefined;
  /** Total bytes for progress reports, when known. */
  total?: number | undefined;
  /** Whether the caller returns the content's hash (default: with `sha256: true`). */
  resultHash?: boolean | undefined;
  /** Writes the content through `write`; its result is returned. */
  produce(write: (chunk: Uint8Array) => Dual<void>): Dual<T>;
}

export function* replaceFile<T>(spec: ReplaceSpec<T>): Dual<{ result: T; written: Written }> {
  const { op, path, opts } = spec;
  const disk = diskOf(opts);
  const signal = opts?.signal;
  throwIfAborted(signal, op, path);
  // The ticket is taken synchronously, at the call: taken after an await (the lstat
  // below), it would follow the order in which the thread pool finished those lstats,
  // not call order. Commits then wait for their turn on the real file.
  const named = absolutePath(path);
  let target: Target | undefined;
  // Once the target is resolved, its real path costs at most its folder's (shared).
  const ticket = takeTicket(disk, named, () => (target ? realOfResolved(disk, target.path) : realish(disk, named)));
  let pending: PendingFile | undefined;
  let committed = false;
  try {
    let result: T;
    ({ target, pending, result } = yield* prepare(disk, spec, named, announces(spec, ticket.first)));
    yield* pending.finish({
      mode: modeFor(opts?.mode, target.stat, spec.fallbackMode),
      owner: ownerFor(opts?.chown, target.stat),
      ownerRequired: opts?.chown !== undefined && opts.chown !== false,
      fsync: opts?.fsync ?? true,
      verify: opts?.verify ?? false,
      closeAtCommit: true,
    });
    const announced = pending;
    yield* ticket.turn(() => announced.withdrawAnnouncement());
    throwIfAborted(signal, op, path);
    const before = opts?.backup || opts?.audit ? yield* beforeCommit(disk, spec, target.path) : NOTHING_BEFORE;
    if (spec.noClobber) yield* pending.commitNew(opts?.fsync ?? true, opts?.retry);
    else yield* pending.commit(opts?.fsync ?? true, opts?.retry);
    committed = true;
    const written: Written = { path: target.path, bytes: pending.bytes, sha256: pending.sha256 };
    if (opts?.audit) {
      try {
        yield* recordAudit(spec, {
          operation: op,
          outcome: 'ok',
          backupId: before.backupId,
          files: [{ path: target.path, before: before.sha256, after: written.sha256 ?? null, size: written.bytes }],
        });
      } catch (err) {
        // The change is made and durable; the caller must still learn that the trail lacks it.
        throw new AtomicError('EAUDIT', `${op} ${path}: written, but the audit record failed: ${describe(err)}`, {
          path,
          cause: err,
        });
      }
    }
    return { result, written };
  } catch (err) {
    if (!committed) {
      try {
        yield* recordAudit(spec, {
          operation: op,
          outcome: 'failed',
          error: describe(err),
          files: [{ path: target?.path ?? named, before: null, after: null, size: 0 }],
        });
      } catch {
        // The caller learns of the failure itself; a trail that cannot take it adds nothing.
      }
    }
    throw err;
  } finally {
    ticket.done();
    if (pending) yield* pending.discard();
  }
}

/** Small writes go through the pipeline in a few disk calls: worth announcing. */
const ANNOUNCE_MAX_BYTES = 1024 * 1024;

/**
 * Whether the write's rename may be announced to concurrent directory syncs
 * (PendingFile.announceRename): only if nothing on its way to the rename can wait long: its
 * content is in memory and small, no earlier write to the path is pending (its ticket is
 * first), and no backup or audit hook runs before the commit.
 */
function announces<T>(spec: ReplaceSpec<T>, firstInLine: boolean): boolean {
  const opts = spec.opts;
  if (!firstInLine || opts?.backup || opts?.audit || opts?.fsync === false || opts?.verify) return false;
  return spec.rewritable === true && spec.total !== undefined && spec.total <= ANNOUNCE_MAX_BYTES;
}

/**
 * Creates the temp beside the path as named and resolves the target at once (the open
 * goes to the thread pool first: it is on the critical path, the lstat only has to be
 * back before the commit). Content held in memory is written while the lstat runs; a
 * stream, readable only once, waits for it. If the path is a symbolic link into another
 * folder, the temp is made again beside the real target (and in-memory content written
 * again), so that the final rename stays within one file system.
 */
function* prepare<T>(
  disk: Disk,
  spec: ReplaceSpec<T>,
  named: string,
  announce: boolean,
): Dual<{ target: Target; pending: PendingFile; result: T }> {
  const { op, path, opts } = spec;
  const hashed = hashesContent(opts, spec.resultHash ?? asksForHash(opts));
  const creating = yield* fork(createTemp(disk, named, spec, hashed, announce));
  const resolving = yield* fork(resolveTarget(disk, path, op, named));
  let pending: PendingFile | undefined;
  try {
    pending = yield* join(creating);
    let early = spec.rewritable ? { result: yield* writeAll(spec, pending) } : undefined;
    const target = yield* join(resolving);
    if (spec.noClobber && target.stat) throw new AtomicError('EEXIST', `${op} ${path}: already exists`, { path });
    if (target.path !== named) {
      yield* pending.discard();
      pending = yield* createTemp(disk, target.path, spec, hashed);
      early = undefined;
    }
    return { target, pending, result: early ? early.result : yield* writeAll(spec, pending) };
  } catch (err) {
    if (pending) yield* pending.discard();
    // A failed resolution (a directory at the path, a symlink loop) says more than what
    // it caused downstream.
    const resolved = yield* settle(resolving);
    throw resolved.ok ? err : resolved.error;
  }
}

/**
 * A temporary file beside `target`; with `parents`, missing folders are made first. With
 * `announce`, its rename is announced (PendingFile.announceRename).
 */
function* createTemp<T>(
  disk: Disk,
  target: string,
  spec: ReplaceSpec<T>,
  hashed: boolean,
  announce = false,
): Dual<PendingFile> {
  const { op, path, opts } = spec;
  let created: PendingFile;
  try {
    created = yield* PendingFile.create(disk, tempPathFor(target), target, path, op, opts?.retry, hashed);
  } catch (err) {
    if (opts?.parents !== true || errorCode(err) !== 'ENOENT') throw err;
    yield* makeParents(disk, dirname(target), op, path);
    created = yield* PendingFile.create(disk, tempPathFor(target), target, path, op, opts?.retry, hashed);
  }
  if (announce) yield* created.announceRename();
  return created;
}

function* writeAll<T>(spec: ReplaceSpec<T>, pending: PendingFile): Dual<T> {
  const { opts, op, path } = spec;
  const signal = opts?.signal;
  // Without a signal to check or progress to report, a chunk goes straight to the file.
  const plain = !signal && !opts?.onProgress;
  const put = plain ? intoFile : putChunk;
  const produced = spec.produce((chunk) => put(spec, pending, chunk));
  if (!signal) return yield* produced;
  // A signal is only taken by asynchronous calls (options-check.ts).
  return yield* call(
    () => runSync(produced),
    () => untilAborted(runAsync(produced), signal, op, path),
  );
}

/** One chunk of new content into the temporary file (a top-level generator: see write-file.ts). */
function* putChunk<T>(spec: ReplaceSpec<T>, pending: PendingFile, chunk: Uint8Array): Dual<void> {
  const { opts, op, path } = spec;
  const signal = opts?.signal;
  if (signal?.aborted) throw abortError(signal, op, path);
  yield* intoFile(spec, pending, chunk);
  opts?.onProgress?.({ bytes: pending.bytes, total: spec.total });
}

/**
 * A chunk written to the temporary file. Content in memory is one chunk: its hashing
 * waits for the sync, which it then overlaps. Without a sync there is nothing longer to
 * overlap than the write itself.
 */
function intoFile<T>(spec: ReplaceSpec<T>, pending: PendingFile, chunk: Uint8Array): Dual<void> {
  return spec.rewritable && spec.opts?.fsync !== false ? pending.writeWhole(chunk) : pending.write(chunk);
}

/**
 * `work`, or an abort error as soon as `signal` fires: a source that stalls (a quiet
 * socket, a terminal) must not hold an aborted write open. The abandoned work fails at
 * its next chunk (the check above), and that failure is absorbed here.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal, op: string, path: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal, op, path));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const NOTHING_BEFORE = { backupId: undefined, sha256: null };

/** Backup and the before-hash for the audit trail, both only when asked for. */
function* beforeCommit<T>(
  disk: Disk,
  spec: ReplaceSpec<T>,
  target: string,
): Dual<{ backupId?: string | undefined; sha256: string | null }> {
  const backup = spec.opts?.backup;
  const backupId = backup ? yield* preserveOf(backup, [target], { operation: spec.op }) : undefined;
  const sha256 = spec.opts?.audit ? yield* hashIfExists(disk, target) : null;
  return { backupId, sha256 };
}

function* recordAudit<T>(spec: ReplaceSpec<T>, entry: AuditRecord): Dual<void> {
  const audit = spec.opts?.audit;
  if (audit) yield* recordOf(audit, entry);
}

export function describe(err: unknown): string {
  if (err instanceof Error) return `${(err as { code?: string }).code ?? err.name}: ${err.message}`;
  return String(err);
}
