/**
 * The one pipeline behind every single-file write (writeFile, atomicWrite, createFile,
 * copyFile, writeJson, writeYaml): resolve the target, write a temporary file beside
 * it, set mode and owner, sync, optionally verify, then rename (or link) it into place
 * and sync the directory. On any failure or abort the temporary file is removed and the
 * target is as it was.
 */
import { dirname } from 'node:path';
import type { Disk, DiskFile, DiskStat } from '../disk/index.js';
import * as io from '../disk/io.js';
import { abortError } from '../base/abort.js';
import { AtomicError, errorCode } from '../base/errors.js';
import { makeParents } from './make-parents.js';
import { preserveOf, recordOf, type AuditRecord } from './hooks.js';
import { call, fork, join, runAsync, runSync, settle, type Dual, type Task } from '../disk/dual.js';
import { asksForHash, diskOf, hashesContent, type WriteOptions, type Written } from './options.js';
import { takeWriteTicket } from './path-order.js';
import { PendingFile } from './pending-file.js';
import { plainTarget, resolveFailure, throughLink, type Target } from './resolve-target.js';
import { tempPathFor } from './temp-name.js';
import { absolutePath } from './check-path.js';
import { hashIfExists } from './hash-existing.js';
import { modeFor } from './file-mode.js';
import { ownerFor } from './keep-owner.js';

/** What a write is: where, how, and by which call. */
interface ReplaceJob {
  op: string;
  path: string;
  opts: WriteOptions | undefined;
  /** Link instead of rename: fail with EEXIST rather than replace. */
  noClobber?: boolean;
  /** Mode when neither `opts.mode` nor a replaced file gives one. `produce` may still set
   *  it, and `total`, before its first write (copyFile learns both from its source). */
  fallbackMode?: number | undefined;
  /** Total bytes for progress reports, when known. */
  total?: number | undefined;
  /** Whether the caller returns the content's hash (default: with `sha256: true`). */
  resultHash?: boolean | undefined;
}

/** The content: in memory (`data`), or written by `produce`, whose result is returned. */
export type ReplaceSpec<T> = ReplaceJob &
  (
    | {
        /**
         * Content in memory (a string in `opts.encoding`), written in one piece. It can be
         * written again, so it goes in before the target is resolved.
         */
        data: T extends void ? Uint8Array | string : never;
        produce?: undefined;
      }
    | {
        data?: undefined;
        /** Writes the content through `write`, once, after the target is resolved; its result is returned. */
        produce(write: (chunk: Uint8Array) => Dual<void>): Dual<T>;
      }
  );

/**
 * The one write protocol. Its common case (content in memory, no hooks) is written out
 * here in full rather than composed of small protocols: with the processor's caches
 * emptied by each blocking sync, a write's cost goes with the number of distinct
 * functions it runs (bench/NOTES.md). The uncommon features are helpers it calls only
 * when they are used.
 */
export function* replaceFile<T>(spec: ReplaceSpec<T>): Dual<{ result: T; written: Written }> {
  const { op, path, opts } = spec;
  const disk = diskOf(opts);
  const signal = opts?.signal;
  if (signal?.aborted) throw abortError(signal, op, path);
  // The ticket is taken synchronously, at the call: taken after an await (the lstat
  // below), it would follow the order in which the thread pool finished those lstats,
  // not call order. Commits then wait for their turn on the real file.
  const named = absolutePath(path);
  let target: Target | undefined;
  const data = spec.data === undefined ? undefined : bytesOf(spec.data, opts);
  // A write tells its ticket its target after writing content in memory: soon, unless
  // that content is large (a producer writes after that).
  const ticket = takeWriteTicket(
    disk,
    named,
    !data || data.byteLength <= TELLS_SOON_MAX_BYTES,
    !!(opts?.backup || opts?.audit),
  );
  const fsync = opts?.fsync ?? true;
  const hashed = hashesContent(opts, spec.resultHash ?? asksForHash(opts));
  let pending: PendingFile | undefined;
  let resolving: Task<DiskStat | undefined> | undefined;
  let committed = false;
  try {
    // The temp is created beside the path as named while the target is resolved: the
    // open goes to the thread pool first, as it is on the critical path; the lstat only
    // has to be back before the commit. Both are single disk calls, started as they are;
    // what follows a failure, or a symbolic link, is taken only then.
    const temp = tempPathFor(named);
    const creating = yield* fork(PendingFile.openTemp(disk, temp));
    resolving = yield* fork(io.lstatIfAny(disk, named));
    try {
      pending = PendingFile.of(disk, yield* join(creating), temp, named, path, op, hashed);
    } catch (err) {
      pending = yield* createAfter(err, disk, temp, named, spec, hashed);
    }
    if (data && announces(opts, data, ticket.first)) yield* pending.announceRename();
    // Content in memory is written while the lstat runs.
    if (data) {
      yield* writeInMemory(spec, pending, data, fsync);
      opts?.onProgress?.({ bytes: pending.bytes, total: data.byteLength });
    }
    const stat = yield* join(resolving);
    resolving = undefined;
    target = stat?.isSymbolicLink() ? yield* throughLink(disk, path, op, named) : plainTarget(path, op, named, stat);
    ticket.resolvedTo(target.path);
    if (spec.noClobber && target.stat) throw new AtomicError('EEXIST', `${op} ${path}: already exists`, { path });
    if (target.path !== named) pending = yield* besideLinkTarget(disk, spec, pending, target.path, data, hashed);
    const result = spec.produce ? yield* produceInto(spec, pending) : (undefined as T);
    yield* pending.finish({
      mode: modeFor(opts?.mode, target.stat, spec.fallbackMode),
      owner: ownerFor(opts?.chown, target.stat),
      ownerRequired: opts?.chown !== undefined && opts.chown !== false,
      fsync,
      verify: opts?.verify ?? false,
      closeAtCommit: true,
    });
    yield* ticket.turn(pending);
    if (signal?.aborted) throw abortError(signal, op, path);
    const before = opts?.backup || opts?.audit ? yield* beforeCommit(disk, spec, target.path) : NOTHING_BEFORE;
    yield* pending.commit(fsync, opts?.retry, spec.noClobber);
    committed = true;
    const written: Written = { path: target.path, bytes: pending.bytes, sha256: pending.sha256 };
    if (opts?.audit) yield* auditWritten(spec, target.path, before, written);
    return { result, written };
  } catch (err) {
    // A failed resolution (a directory at the path, a symlink loop) says more than what
    // it caused downstream.
    const failure = resolving ? yield* resolutionFailure(resolving, err, op, path) : err;
    if (!committed) yield* auditFailure(spec, target?.path ?? named, failure);
    throw failure;
  } finally {
    ticket.done();
    if (pending) yield* pending.discard();
  }
}

/** Small writes go through the pipeline in a few disk calls: worth announcing. */
const ANNOUNCE_MAX_BYTES = 1024 * 1024;
/** Content up to this size is written before the target is told to the ticket: quick enough for later writes to wait for it. */
const TELLS_SOON_MAX_BYTES = ANNOUNCE_MAX_BYTES;

/**
 * Whether the write's rename may be announced to concurrent directory syncs
 * (PendingFile.announceRename): only if nothing on its way to the rename can wait long: its
 * content is in memory and small, no earlier write to the path is pending (its ticket is
 * first), and no backup or audit hook runs before the commit.
 */
function announces(opts: WriteOptions | undefined, data: Uint8Array, firstInLine: boolean): boolean {
  if (!firstInLine || opts?.backup || opts?.audit || opts?.fsync === false || opts?.verify) return false;
  return data.byteLength <= ANNOUNCE_MAX_BYTES;
}

/** Content in memory as bytes. */
function bytesOf(data: Uint8Array | string, opts: WriteOptions | undefined): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, opts?.encoding ?? 'utf8') : data;
}

/**
 * The temp, after its first open (`temp`, beside `target`) failed with `failure`: opened
 * again if that failure was transient, else, with `parents`, made after the missing folders.
 */
function* createAfter<T>(
  failure: unknown,
  disk: Disk,
  temp: string,
  target: string,
  spec: ReplaceSpec<T>,
  hashed: boolean,
): Dual<PendingFile> {
  const { op, path, opts } = spec;
  let file: DiskFile;
  try {
    file = yield* PendingFile.reopenTemp(failure, disk, temp, target, path, op, opts?.retry);
  } catch (err) {
    return yield* createWithParents(err, disk, target, spec, hashed);
  }
  return PendingFile.of(disk, file, temp, target, path, op, hashed);
}

/** The temp made when creating it beside the target failed with `err`: with `parents`, after making the missing folders. */
function* createWithParents<T>(
  err: unknown,
  disk: Disk,
  target: string,
  spec: ReplaceSpec<T>,
  hashed: boolean,
): Dual<PendingFile> {
  const { op, path, opts } = spec;
  if (opts?.parents !== true || errorCode(err) !== 'ENOENT') throw err;
  yield* makeParents(disk, dirname(target), op, path);
  return yield* PendingFile.create(disk, tempPathFor(target), target, path, op, opts.retry, hashed);
}

/**
 * The path is a symbolic link into another folder: the temp is made again beside the real
 * target (and content in memory written again), so that the final rename stays within
 * one file system.
 */
function* besideLinkTarget<T>(
  disk: Disk,
  spec: ReplaceSpec<T>,
  first: PendingFile,
  target: string,
  data: Uint8Array | undefined,
  hashed: boolean,
): Dual<PendingFile> {
  const { op, path, opts } = spec;
  yield* first.discard();
  let pending: PendingFile;
  try {
    pending = yield* PendingFile.create(disk, tempPathFor(target), target, path, op, opts?.retry, hashed);
  } catch (err) {
    pending = yield* createWithParents(err, disk, target, spec, hashed);
  }
  try {
    if (data) {
      yield* writeInMemory(spec, pending, data, opts?.fsync ?? true);
      opts?.onProgress?.({ bytes: pending.bytes, total: data.byteLength });
    }
    return pending;
  } catch (err) {
    yield* pending.discard();
    throw err;
  }
}

/**
 * Content in memory, one chunk (its progress is reported by the caller, once written).
 * Its hashing (if any) waits for the sync, which it then overlaps; without a sync there is
 * nothing longer to overlap than the write itself.
 */
function writeInMemory<T>(spec: ReplaceSpec<T>, pending: PendingFile, data: Uint8Array, fsync: boolean): Dual<void> {
  const signal = spec.opts?.signal;
  if (signal?.aborted) throw abortError(signal, spec.op, spec.path);
  return fsync ? pending.writeWhole(data) : pending.write(data);
}

/** Content written by the spec's producer, chunk by chunk. */
function* produceInto<T>(spec: ReplaceSpec<T>, pending: PendingFile): Dual<T> {
  const { opts, op, path } = spec;
  const signal = opts?.signal;
  const produced = spec.produce!((chunk) => putChunk(spec, pending, chunk));
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
  yield* pending.write(chunk);
  opts?.onProgress?.({ bytes: pending.bytes, total: spec.total });
}

/** The resolution's error if its lstat failed (it says more than what it caused), else `err`. */
function* resolutionFailure(
  resolving: Task<DiskStat | undefined>,
  err: unknown,
  op: string,
  path: string,
): Dual<unknown> {
  const resolved = yield* settle(resolving);
  return resolved.ok ? err : resolveFailure(resolved.error, op, path);
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

/** The audit record of a write made; its failure is the caller's to learn. */
function* auditWritten<T>(
  spec: ReplaceSpec<T>,
  target: string,
  before: { backupId?: string | undefined; sha256: string | null },
  written: Written,
): Dual<void> {
  try {
    yield* recordAudit(spec, {
      operation: spec.op,
      outcome: 'ok',
      backupId: before.backupId,
      files: [{ path: target, before: before.sha256, after: written.sha256 ?? null, size: written.bytes }],
    });
  } catch (err) {
    // The change is made and durable; the caller must still learn that the trail lacks it.
    throw new AtomicError('EAUDIT', `${spec.op} ${spec.path}: written, but the audit record failed: ${describe(err)}`, {
      path: spec.path,
      cause: err,
    });
  }
}

/** The audit record of a write that failed, if there is a trail: it takes what it can. */
function* auditFailure<T>(spec: ReplaceSpec<T>, path: string, err: unknown): Dual<void> {
  if (!spec.opts?.audit) return;
  try {
    yield* recordAudit(spec, {
      operation: spec.op,
      outcome: 'failed',
      error: describe(err),
      files: [{ path, before: null, after: null, size: 0 }],
    });
  } catch {
    // The caller learns of the failure itself; a trail that cannot take it adds nothing.
  }
}

function* recordAudit<T>(spec: ReplaceSpec<T>, entry: AuditRecord): Dual<void> {
  const audit = spec.opts?.audit;
  if (audit) yield* recordOf(audit, entry);
}

export function describe(err: unknown): string {
  if (err instanceof Error) return `${(err as { code?: string }).code ?? err.name}: ${err.message}`;
  return String(err);
}
