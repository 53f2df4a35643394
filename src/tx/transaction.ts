/**
 * A transaction: changes to many files under one root, staged in memory (checked at
 * once, written at commit) and then applied all together or not at all. Staging returns
 * the transaction, so calls can be chained; nothing touches the disk before `commit()`.
 */
import { pathKey, type Disk } from '../disk/index.js';
import { AtomicError, invalidArg, TransactionError } from '../base/errors.js';
import type { RetryOptions } from '../base/retry.js';
import { isData, type Source } from '../base/source.js';
import { pathArg, type PathLike } from '../file/check-path.js';
import { checkOptions } from '../base/options-check.js';
import type { AuditHook, BackupHook } from '../file/hooks.js';
import type { Coordinator } from '../lock/coordinator.js';
import { diskOf } from '../file/options.js';
import { runCommit, type CommitContext, type CommitResult } from './commit.js';
import { register, unregister } from './live.js';
import { newTxId } from './owner.js';
import { checkBatchName } from './batch-name.js';
import { hashIfExists } from '../file/hash-existing.js';
import { recoverRoot } from './recover.js';
import { checkLexically, openRoot } from './root-paths.js';
import {
  checkSource,
  checkWriteOptions,
  encodeFor,
  type Staged,
  type TxDeleteOptions,
  type TxJsonOptions,
  type TxWriteOptions,
} from './staged.js';
import { runAsync, runSync, type Dual } from '../disk/dual.js';
import { noSyncCoordinator } from '../base/async-only.js';
import { unreadStream } from './stage.js';

export interface TransactionOptions {
  /** Every path of the transaction must lie in this folder; its state lives in `<root>/.atomicfs/`. */
  root: PathLike;
  /** Keeps every file the transaction replaces or removes, as one backup. */
  backup?: BackupHook | undefined;
  /** Records the transaction (one entry, also when it is rolled back). */
  audit?: AuditHook | undefined;
  /** Aborts the transaction (rolled back) if it fires before the commit point. */
  signal?: AbortSignal | undefined;
  retry?: RetryOptions | undefined;
  /** Give up waiting for locks after this many ms (the commit fails, rolled back). */
  timeout?: number | undefined;
  /**
   * Locks, owners' liveness and the commit decision kept in a coordination service
   * (`etcdCoordinator` from `atomicfs/etcd`), for hosts or containers sharing the root.
   */
  coordinator?: Coordinator | undefined;
  /** The batch's name: kept in its backup, its audit entry and its journal (one line, at most 200 characters). */
  name?: string | undefined;
  disk?: Disk | undefined;
}

/** How a caller inside the library (a restore) labels its transaction. */
export interface TransactionKind {
  operation: string;
  restoreOf?: string | undefined;
}

export type TransactionState = 'open' | 'committing' | 'committed' | 'rolled-back' | 'failed';

export class Transaction implements AsyncDisposable {
  private readonly staged: Staged[] = [];
  private readonly targets = new Set<string>();
  private stagingError: unknown;
  private settled: Promise<unknown> | undefined;
  private _state: TransactionState = 'open';
  private readonly ctx: CommitContext;
  /** Fired by interrupt(): stops staging at the next chunk (the caller's signal does too). */
  private readonly interruption = new AbortController();

  /** @internal Use `transaction()`, which recovers the root first. */
  constructor(opts: TransactionOptions, disk: Disk, realRoot: string, kind?: TransactionKind) {
    this.ctx = {
      name: opts.name,
      operation: kind?.operation,
      restoreOf: kind?.restoreOf,
      disk,
      root: String(opts.root),
      realRoot,
      id: newTxId(),
      retry: opts.retry,
      signal: opts.signal ? AbortSignal.any([opts.signal, this.interruption.signal]) : this.interruption.signal,
      timeout: opts.timeout,
      backup: opts.backup,
      audit: opts.audit,
      coordinator: opts.coordinator,
      interrupted: false,
      committed: false,
    };
    register(this);
  }

  get id(): string {
    return this.ctx.id;
  }

  /** The root's real path. */
  get root(): string {
    return this.ctx.realRoot;
  }

  get state(): TransactionState {
    return this._state;
  }

  writeFile(path: PathLike, source: Source, opts?: TxWriteOptions): this {
    return this.stage('writeFile', path, (p) => ({
      kind: 'write',
      op: 'writeFile',
      path: p,
      abs: '',
      source: checkSource('writeFile', p, source),
      create: false,
      opts: checkWriteOptions('writeFile', p, opts),
    }));
  }

  /** Fails the commit with EEXIST if `path` exists then (checked under the lock). */
  createFile(path: PathLike, source: Source, opts?: TxWriteOptions): this {
    return this.stage('createFile', path, (p) => ({
      kind: 'write',
      op: 'createFile',
      path: p,
      abs: '',
      source: checkSource('createFile', p, source),
      create: true,
      opts: checkWriteOptions('createFile', p, opts),
    }));
  }

  writeJson(path: PathLike, value: unknown, opts?: TxJsonOptions): this {
    return this.stage('writeJson', path, (p) => {
      const checked = checkWriteOptions('writeJson', p, opts);
      return {
        kind: 'write',
        op: 'writeJson',
        path: p,
        abs: '',
        source: encodeFor('writeJson', p, value, opts),
        create: false,
        opts: checked,
      };
    });
  }

  writeYaml(path: PathLike, value: unknown, opts?: TxJsonOptions): this {
    return this.stage('writeYaml', path, (p) => {
      const checked = checkWriteOptions('writeYaml', p, opts);
      return {
        kind: 'write',
        op: 'writeYaml',
        path: p,
        abs: '',
        source: encodeFor('writeYaml', p, value, opts),
        create: false,
        opts: checked,
      };
    });
  }

  /** Fails the commit with ENOENT if `path` does not exist then, unless `force`. */
  deleteFile(path: PathLike, opts?: TxDeleteOptions): this {
    return this.stage('deleteFile', path, (p) => {
      checkOptions('tx.deleteFile', 'deleteFile', p, opts);
      return { kind: 'delete', op: 'deleteFile', path: p, abs: '', force: opts?.force === true };
    });
  }

  copyFile(src: PathLike, dest: PathLike, opts?: TxWriteOptions): this {
    return this.stage('copyFile', dest, (p) => {
      const from = pathArg('copyFile', src, 'src');
      return {
        kind: 'copy',
        op: 'copyFile',
        path: p,
        abs: '',
        from,
        fromAbs: this.lexical('copyFile', from),
        opts: checkWriteOptions('copyFile', p, opts),
      };
    });
  }

  /** The source is removed and `dest` created or replaced, in the same all-or-nothing step. */
  moveFile(src: PathLike, dest: PathLike, opts?: TxWriteOptions): this {
    return this.stage('moveFile', dest, (p) => {
      const from = pathArg('moveFile', src, 'src');
      const checked = checkWriteOptions('moveFile', p, opts);
      const fromAbs = this.lexical('moveFile', from);
      this.claim('moveFile', from, fromAbs);
      return { kind: 'move', op: 'moveFile', path: p, abs: '', from, fromAbs, opts: checked };
    });
  }

  private lexical(op: string, path: string): string {
    return checkLexically(op, path, this.ctx.root, this.ctx.realRoot);
  }

  private claim(op: string, path: string, abs: string): void {
    const key = pathKey(this.ctx.disk.capabilities, abs);
    if (this.targets.has(key))
      throw new AtomicError('EINVAL', `${op} ${path}: this file is already changed by this transaction`, { path });
    this.targets.add(key);
  }

  /**
   * Checks and records one op. A bad argument or a value that fails its schema throws
   * here, and the transaction is then failed: its commit will throw, nothing applied.
   */
  private stage(op: string, given: PathLike, make: (path: string) => Staged): this {
    if (this._state !== 'open')
      throw new AtomicError('EINVAL', `${op} ${String(given)}: transaction ${this.id} is ${this._state}`, {
        path: String(given),
      });
    try {
      const path = pathArg(op, given);
      const abs = this.lexical(op, path);
      const staged = make(path);
      this.claim(op, path, abs);
      this.staged.push({ ...staged, abs });
    } catch (err) {
      this.stagingError ??= err;
      throw err;
    }
    return this;
  }

  /** Applies every staged change, all or nothing, durably. Throws TransactionError if it did not. */
  async commit(): Promise<CommitResult> {
    this.checkOpen('commit');
    this._state = 'committing';
    const run = runAsync(this.commitProtocol());
    this.settled = run.catch(() => undefined);
    return run;
  }

  /**
   * commit(), synchronously: the same protocol, driven by synchronous calls, for an exit
   * handler or a start-up step where nothing asynchronous runs. Same result, same errors.
   *
   * Refused with EINVAL before anything is done, the transaction still open (commit() or
   * rollback() may follow): a staged stream (only an asynchronous commit can read it), a
   * coordinator, a backup or audit hook without preserveSync/recordSync.
   *
   * Locks: one held by another process is waited for (blocking, without spinning) up to
   * the transaction's `timeout`; one held in this process (an async transaction or lock in
   * flight) cannot be released while this call blocks, so the commit fails at once. Either
   * way the commit fails rolled back, nothing changed.
   */
  commitSync(): CommitResult {
    this.checkOpen('commitSync');
    this.checkSyncable();
    this._state = 'committing';
    return runSync(this.commitProtocol());
  }

  private checkOpen(op: string): void {
    if (this._state !== 'open')
      throw new AtomicError('EINVAL', `${op}: transaction ${this.id} is ${this._state}`, { path: this.ctx.root });
  }

  /** What commitSync refuses up front (see there), each naming the path or root concerned. */
  private checkSyncable(): void {
    const ctx = this.ctx;
    if (ctx.coordinator) throw noSyncCoordinator('commitSync', ctx.root);
    if (ctx.backup && typeof ctx.backup.preserveSync !== 'function')
      throw invalidArg(
        'commitSync',
        ctx.root,
        'option backup must have a preserveSync() method for a synchronous call',
      );
    if (ctx.audit && typeof ctx.audit.recordSync !== 'function')
      throw invalidArg('commitSync', ctx.root, 'option audit must have a recordSync() method for a synchronous call');
    for (const s of this.staged) if (s.kind === 'write' && !isData(s.source)) throw unreadStream(s.op, s.path);
  }

  private *commitProtocol(): Dual<CommitResult> {
    try {
      if (this.stagingError !== undefined) {
        throw new TransactionError(
          `transaction ${this.id} in ${this.ctx.root}: an operation was refused when staged; nothing was changed`,
          true,
          { cause: this.stagingError, transactionId: this.id },
        );
      }
      const result = yield* runCommit(this.ctx, this.staged);
      this._state = 'committed';
      return result;
    } catch (err) {
      this._state = err instanceof TransactionError && err.rolledBack ? 'rolled-back' : 'failed';
      throw err;
    } finally {
      this.staged.length = 0;
      unregister(this);
    }
  }

  /** Drops every staged change. Nothing was written before commit, so nothing is undone on disk. */
  async rollback(): Promise<void> {
    if (this._state === 'committing')
      throw new AtomicError('EINVAL', `rollback: transaction ${this.id} is committing`, { path: this.ctx.root });
    if (this._state !== 'open') return;
    this._state = 'rolled-back';
    const paths = [...new Set(this.staged.flatMap((s) => (s.kind === 'move' ? [s.abs, s.fromAbs] : [s.abs])))];
    this.staged.length = 0;
    unregister(this);
    if (!this.ctx.audit) return;
    // Nothing was written: the files it would have changed are as they were, and the
    // entry says what they were.
    const files = await Promise.all(
      paths.map(async (path) => {
        const before = await runAsync(hashIfExists(this.ctx.disk, path)).catch(() => null);
        return { path, before, after: before, size: 0 };
      }),
    );
    await this.ctx.audit.record({
      operation: this.ctx.operation ?? 'transaction',
      name: this.ctx.name,
      transactionId: this.id,
      outcome: 'rolled-back',
      files,
    });
  }

  /** For `await using`: an uncommitted transaction is rolled back. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this._state === 'committing') await this.settled;
    if (this._state === 'open') await this.rollback();
  }

  /** handleSignals(): roll back unless past the commit point; resolve once settled. */
  async interrupt(): Promise<void> {
    this.ctx.interrupted = true;
    this.interruption.abort(new AtomicError('EINTR', `transaction ${this.id}: interrupted by a signal`));
    if (this._state === 'open') await this.rollback();
    else await this.settled;
  }
}

/** Starts a transaction under `root`, after recovering any transaction a crash left there. */
export async function transaction(opts: TransactionOptions): Promise<Transaction> {
  return startTransaction(opts);
}

/** transaction(), for callers inside the library that label what it is (a restore). */
export async function startTransaction(opts: TransactionOptions, kind?: TransactionKind): Promise<Transaction> {
  if (typeof opts !== 'object' || opts === null)
    throw new AtomicError('EINVAL', 'transaction: options with a root are required');
  checkOptions('transaction', 'transaction', undefined, opts);
  const root = pathArg('transaction', opts.root, 'root', false);
  checkBatchName('transaction', root, opts.name);
  const disk = diskOf(opts);
  const realRoot = await runAsync(openRoot(disk, root, 'transaction'));
  // A batch killed earlier is recorded in this batch's audit log as it is recovered.
  await runAsync(
    recoverRoot(disk, realRoot, {
      timeout: opts.timeout,
      signal: opts.signal,
      audit: opts.audit,
      coordinator: opts.coordinator,
    }),
  );
  return new Transaction(root === opts.root ? opts : { ...opts, root }, disk, realRoot, kind);
}
