/**
 * A file being written beside its target, in the spirit of google/renameio's
 * PendingFile: write into it, then `commit` (an atomic replace, or with `noClobber` a
 * link that fails rather than replace), or `discard`. Discard after a commit is a no-op, so callers can always
 * `discard()` in a finally block.
 */
import { dirname } from 'node:path';
import type { Hash } from 'node:crypto';
import type { Disk, DiskDir, DiskFile } from '../disk/index.js';
import { AtomicError, errorCode, fsError, IntegrityError, systemCodeOf } from '../base/errors.js';
import { newHash, sha256Hex } from '../base/sha256.js';
import { hashFile } from './sha256-file.js';
import { retryTransientAfter, type RetryOptions } from '../base/retry.js';
import { dropOpened, expectRename, openAhead, syncDirectory } from './dir-sync.js';
import { closeQuietly } from './open-read.js';
import * as io from '../disk/io.js';
import { fork, join, NOTHING_DONE, runAsync, runSync, step, type Dual, type Forms } from '../disk/dual.js';

const NOT_OPENED: Opened = { opened: undefined };

/** A folder opened ahead of its sync, boxed: a step's result that is a promise would be awaited. */
type Opened = { opened: Promise<DiskDir | undefined> | undefined };

export interface FinishOptions {
  mode: number;
  owner?: { uid: number; gid: number } | undefined;
  /** If true, a failing chown is an error; else it is skipped (not permitted). */
  ownerRequired?: boolean;
  fsync: boolean;
  verify: boolean;
  /** Access and modification times to give the file (a move across devices keeps the source's). */
  times?: { atimeMs: number; mtimeMs: number } | undefined;
}

export class PendingFile {
  // Declared, and set in the constructor only, as OneStep's are (dual.ts): one is made per write.
  declare private readonly disk: Disk;
  declare readonly tempPath: string;
  declare readonly target: string;
  /** The target's folder: the one synced after the rename, and the one its announcement is for. */
  declare private readonly folder: string;
  /** The path the caller named, for error messages. */
  declare readonly shownPath: string;
  declare private readonly op: string;
  /** Whether the content is hashed; only when someone reads `sha256` (a result, verify, audit). */
  declare private readonly hashed: boolean;
  declare private file: DiskFile | undefined;
  /** Finished but not yet closed (see `finish`'s closeAtCommit). */
  declare private unclosed: DiskFile | undefined;
  /** The hash of content written in chunks (`write`), made at the first chunk. */
  declare private hash: Hash | undefined;
  /** Content written whole by `writeWhole`, hashed later while the sync is in flight. */
  declare private unhashed: Uint8Array | undefined;
  /** Its SHA-256, hex, once hashed. */
  declare private wholeSha256: string | undefined;
  declare private state: 'open' | 'finished' | 'committed' | 'discarded';
  /** Settles this file's announced rename (see announceRename). */
  declare private settleRename: (() => void) | undefined;
  declare bytes: number;
  /** The content's SHA-256, hex, once finished; undefined for a file made unhashed. */
  declare sha256: string | undefined;

  // Steps of a pending file's own (dual.ts, Forms): driven synchronously, nothing runs
  // alongside a rename, so there is nothing to announce it to and no folder to open ahead.
  private static readonly ANNOUNCE: Forms<void, PendingFile> = {
    sync: () => undefined,
    async: (file) => file.announce(),
  };
  private static readonly OPEN_DIR_AHEAD: Forms<Opened, PendingFile, boolean> = {
    sync: () => NOT_OPENED,
    async: (file, fsync) => file.openDir(fsync),
  };
  private static readonly CLOSE_LATER: Forms<void, DiskFile | undefined> = {
    sync: (file) => {
      if (file) runSync(closeQuietly(file));
    },
    async: (file) => {
      if (file) void runAsync(closeQuietly(file));
    },
  };

  private constructor(
    disk: Disk,
    tempPath: string,
    target: string,
    shownPath: string,
    op: string,
    file: DiskFile,
    hashed: boolean,
  ) {
    this.disk = disk;
    this.tempPath = tempPath;
    this.target = target;
    this.folder = dirname(target);
    this.shownPath = shownPath;
    this.op = op;
    this.hashed = hashed;
    this.file = file;
    this.unclosed = undefined;
    this.hash = undefined;
    this.unhashed = undefined;
    this.wholeSha256 = undefined;
    this.state = 'open';
    this.settleRename = undefined;
    this.bytes = 0;
    this.sha256 = undefined;
  }

  /**
   * Creates `tempPath` exclusively (never reusing a file), mode 0600 until complete.
   * Unless `hashed` is false, the content is hashed as it is written (see `sha256`).
   */
  static *create(
    disk: Disk,
    tempPath: string,
    target: string,
    shownPath: string,
    op: string,
    retry?: RetryOptions,
    hashed = true,
  ): Dual<PendingFile> {
    let file: DiskFile;
    try {
      file = yield* PendingFile.openTemp(disk, tempPath);
    } catch (failure) {
      file = yield* PendingFile.reopenTemp(failure, disk, tempPath, target, shownPath, op, retry);
    }
    return PendingFile.of(disk, file, tempPath, target, shownPath, op, hashed);
  }

  /**
   * Create's first step, for a caller that runs it alongside other work (replace.ts): the
   * temporary file opened, exclusively, mode 0600. Its failure goes to `reopenTemp`.
   */
  static openTemp(disk: Disk, tempPath: string): Dual<DiskFile> {
    return io.open(disk, tempPath, 'wx', 0o600);
  }

  /** After `openTemp` failed with `failure`: retried if transient, else the error, naming the caller's path. */
  static *reopenTemp(
    failure: unknown,
    disk: Disk,
    tempPath: string,
    target: string,
    shownPath: string,
    op: string,
    retry: RetryOptions | undefined,
  ): Dual<DiskFile> {
    try {
      return yield* retryTransientAfter(failure, () => PendingFile.openTemp(disk, tempPath), retry);
    } catch (err) {
      throw notCreated(err, op, shownPath, tempPath, target);
    }
  }

  /** The pending file for `file`, opened by `openTemp` at `tempPath`. */
  static of(
    disk: Disk,
    file: DiskFile,
    tempPath: string,
    target: string,
    shownPath: string,
    op: string,
    hashed: boolean,
  ): PendingFile {
    return new PendingFile(disk, tempPath, target, shownPath, op, file, hashed);
  }

  /**
   * Announces this file's rename to the directory syncs of writers that finish meanwhile,
   * so that they wait for it and share one sync (dir-sync.ts). Only for a write that waits
   * on nothing on its way to the rename but its own few disk calls.
   */
  announceRename(): Dual<void> {
    return step(PendingFile.ANNOUNCE, this);
  }

  /** Announces the rename (announceRename, driven asynchronously). */
  private announce(): void {
    this.settleRename ??= expectRename(this.disk, this.folder);
  }

  /** Withdraws an announced rename: this file has to wait for another writer first. */
  withdrawAnnouncement(): void {
    this.settle();
  }

  /**
   * Writes the entire content in one piece (as the first and only write). Hashing a large
   * buffer takes the main thread a while, so it is put off until `finish` has the fsync
   * in flight, which it then overlaps instead of delaying the write.
   */
  writeWhole(data: Uint8Array): Dual<void> {
    if (this.bytes > 0 || this.unhashed) return this.write(data);
    if (this.hashed) this.unhashed = data;
    return this.writeRaw(data);
  }

  *write(chunk: Uint8Array): Dual<void> {
    if (this.unhashed)
      throw new AtomicError('EINVAL', `${this.op} ${this.shownPath}: write after the whole content was written`, {
        path: this.shownPath,
      });
    if (!this.hashed) return yield* this.writeRaw(chunk);
    // Driven asynchronously, the write is dispatched first: hashing overlaps it.
    const writing = yield* fork(this.writeRaw(chunk));
    (this.hash ??= newHash()).update(chunk);
    yield* join(writing);
  }

  private *writeRaw(chunk: Uint8Array): Dual<void> {
    if (!this.file || this.state !== 'open')
      throw new AtomicError('EINVAL', `${this.op} ${this.shownPath}: write after the file was finished`, {
        path: this.shownPath,
      });
    try {
      yield* io.write(this.file, chunk);
    } catch (err) {
      throw fsError(err, this.op, this.shownPath);
    }
    this.bytes += chunk.byteLength;
  }

  /**
   * Sets mode and owner, syncs the data (before any rename can expose it), and closes
   * the file, or with `closeAtCommit` leaves the close to `commit`, which then runs it
   * alongside the rename (one thread-pool round trip fewer on the critical path; POSIX
   * renames an open file without trouble).
   */
  *finish(opts: FinishOptions & { closeAtCommit?: boolean }): Dual<void> {
    const file = this.file;
    if (!file)
      throw new AtomicError('EINVAL', `${this.op} ${this.shownPath}: finished twice`, { path: this.shownPath });
    // Where a file open here cannot be renamed over (Windows), nor safely renamed, it is closed first.
    const closeNow = !(opts.closeAtCommit ?? false) || !this.disk.capabilities.replaceOpen;
    let ok = false;
    try {
      // Content written whole is hashed alongside a disk call: this one without a sync.
      if (!opts.fsync && this.unhashed) {
        const chmodding = yield* fork(io.fchmod(file, opts.mode));
        this.hashUnhashed();
        yield* join(chmodding);
      } else yield* io.fchmod(file, opts.mode);
      if (opts.owner) yield* this.chown(file, opts.owner, opts.ownerRequired ?? false);
      // Before the sync, so that the times are as durable as the data.
      if (opts.times) yield* io.utimes(this.disk, this.tempPath, opts.times.atimeMs, opts.times.mtimeMs);
      // The data must be on disk before the rename makes it reachable under the target's
      // name; otherwise a power cut can leave the new name pointing at an empty file.
      if (opts.fsync && this.unhashed) {
        const syncing = yield* fork(io.fsync(file));
        this.hashUnhashed();
        yield* join(syncing);
      } else if (opts.fsync) yield* io.fsync(file);
      ok = true;
    } catch (err) {
      this.settle();
      throw fsError(err, this.op, this.shownPath);
    } finally {
      this.file = undefined;
      if (closeNow || !ok) yield* closeQuietly(file);
      else this.unclosed = file;
    }
    if (this.hashed) this.sha256 = this.wholeSha256 ?? (this.hash ?? newHash()).digest('hex');
    this.state = 'finished';
    // Its content is on disk: what is left (commit, or a transaction's own rename) needs
    // only the paths and the descriptor left open for commit.
    this.retire();
    if (opts.verify) yield* this.verify();
  }

  /** Hashes content written whole, on the main thread while a disk call is in flight. */
  private hashUnhashed(): void {
    if (this.unhashed) this.wholeSha256 = sha256Hex(this.unhashed);
    this.unhashed = undefined;
  }

  private *chown(file: DiskFile, owner: { uid: number; gid: number }, required: boolean): Dual<void> {
    if (!this.disk.capabilities.ownership) {
      // No POSIX owners here (Windows): the replaced file's owner needs no keeping, and a
      // chown asked for cannot be done, which the caller must learn rather than assume.
      if (!required) return;
      throw new AtomicError(
        'ENOTSUP',
        `${this.op} ${this.shownPath}: chown is not supported here: files have no POSIX owners on this platform`,
        { path: this.shownPath },
      );
    }
    try {
      yield* io.fchown(file, owner.uid, owner.gid);
    } catch (err) {
      const code = errorCode(err);
      // Not permitted, or a file system without owners (ENOSYS on some FUSE mounts): a new
      // file keeps the writer as owner. An owner asked for explicitly is never given up.
      if (!required && (code === 'EPERM' || code === 'EINVAL' || code === 'ENOSYS')) return;
      throw err;
    }
  }

  /** Reads the finished file back and compares SHA-256 with what was written. */
  private *verify(): Dual<void> {
    const expected = this.sha256;
    // Callers create a file hashed whenever they will verify it; this only guards that.
    if (expected === undefined)
      throw new AtomicError('EINVAL', `${this.op} ${this.shownPath}: cannot verify content that was not hashed`, {
        path: this.shownPath,
      });
    let sha256: string;
    try {
      ({ sha256 } = yield* hashFile(this.disk, this.tempPath));
    } catch (err) {
      throw fsError(err, this.op, this.shownPath);
    }
    if (sha256 !== expected) throw new IntegrityError(this.shownPath, expected, sha256);
  }

  /**
   * Atomically replaces the target; with `noClobber`, links the file in under the
   * target's name instead, failing with EEXIST rather than replacing. With `fsync`, also
   * makes the change durable.
   */
  *commit(fsync: boolean, retry?: RetryOptions, noClobber = false): Dual<void> {
    // Without links, nothing puts a file in place atomically without clobbering: refuse
    // rather than fall back to a check-then-rename that two processes could both pass.
    if (noClobber && !this.disk.capabilities.hardLinks) {
      throw new AtomicError(
        'ENOTSUP',
        `${this.op} ${this.shownPath}: creating without clobbering needs hard links, which this disk does not offer`,
        { path: this.shownPath },
      );
    }
    const placing = yield* fork(this.place(noClobber));
    // Sent after the rename, which is on the critical path.
    const { opened } = yield* this.openDirAhead(fsync);
    // The file `finish` left open. Before a directory sync its close runs alongside the
    // rename (a sync that followed it would be slowed down by it instead); without one,
    // the close waits for the rename and is not waited for: nothing after the commit
    // needs the descriptor, and run alongside, it slowed the rename down (bench/NOTES.md).
    const file = fsync ? this.unclosed : undefined;
    if (file) this.unclosed = undefined;
    const closing = file ? yield* fork(io.close(file)) : undefined;
    try {
      try {
        yield* join(placing);
      } catch (failure) {
        yield* retryTransientAfter(failure, () => this.place(noClobber), retry);
      }
    } catch (err) {
      dropOpened(opened);
      if (noClobber && errorCode(err) === 'EEXIST') throw fsError(err, this.op, this.shownPath, 'already exists');
      throw fsError(err, this.op, this.shownPath);
    } finally {
      if (closing) {
        try {
          yield* join(closing);
        } catch {
          // The data is synced already: a failing close of a synced file loses nothing.
        }
      }
      // Settled only now, just before this writer asks for its directory sync: a sync that
      // waits for the announced renames then starts with this one's request in line.
      this.settle();
    }
    this.state = 'committed';
    if (this.unclosed) yield* this.closeLater();
    // One directory sync makes both the new link and the removed temp name durable.
    if (noClobber) yield* this.unlinkTemp();
    // The rename is only durable once the directory entry is: sync the directory. Its
    // failure comes after the rename: the error says so and names the caller's path
    // (syncDirectory's own error names only the folder).
    if (fsync) {
      try {
        yield* syncDirectory(this.disk, this.folder, opened);
      } catch (err) {
        throw notSynced(err, this.op, this.shownPath, this.folder);
      }
    }
  }

  /** The commit's one change to the folder: the rename, or with `noClobber` the link. */
  private place(noClobber: boolean): Dual<void> {
    return noClobber
      ? io.link(this.disk, this.tempPath, this.target)
      : io.rename(this.disk, this.tempPath, this.target);
  }

  /**
   * The file `finish` left open, closed after a commit without a sync, and not waited for:
   * durability was not asked for, so a failing close loses nothing that was promised.
   * Driven synchronously, the close is simply made.
   */
  private closeLater(): Dual<void> {
    const file = this.unclosed;
    this.unclosed = undefined;
    return step(PendingFile.CLOSE_LATER, file);
  }

  /**
   * With `fsync`, the target's folder opened alongside the commit step (dir-sync.ts); only
   * driven asynchronously: there is nothing to run alongside otherwise.
   */
  private openDirAhead(fsync: boolean): Dual<Opened> {
    return step(PendingFile.OPEN_DIR_AHEAD, this, fsync);
  }

  /** The target's folder opened ahead (openDirAhead, driven asynchronously). */
  private openDir(fsync: boolean): Opened {
    return { opened: fsync ? openAhead(this.disk, this.folder, this.settleRename !== undefined) : undefined };
  }

  /** Removes the temporary name; it is only a name by then, and cleanup-temps removes what a failure leaves. */
  private *unlinkTemp(): Dual<void> {
    try {
      yield* io.unlink(this.disk, this.tempPath);
    } catch {
      // See above.
    }
  }

  /** Drops the content this object may still refer to: it may outlive the write. */
  private retire(): void {
    this.unhashed = this.hash = undefined;
  }

  private settle(): void {
    this.settleRename?.();
    this.settleRename = undefined;
  }

  /** Removes the temporary file. A no-op after a commit, so it is safe in `finally`. */
  discard(): Dual<void> {
    this.settle();
    if (this.state === 'committed' || this.state === 'discarded') return NOTHING_DONE;
    return this.discarding();
  }

  private *discarding(): Dual<void> {
    this.state = 'discarded';
    const files = [this.file, this.unclosed];
    this.file = this.unclosed = undefined;
    this.retire();
    for (const file of files) if (file) yield* closeQuietly(file);
    yield* this.unlinkTemp();
  }
}

/** Why the temporary file could not be made, naming the caller's path. */
function notCreated(err: unknown, op: string, shownPath: string, tempPath: string, target: string): Error {
  const code = errorCode(err);
  if (code === 'ENOENT') return fsError(err, op, shownPath, `parent directory ${dirname(target)} does not exist`);
  if (code === 'ENOTDIR') return fsError(err, op, shownPath, `parent ${dirname(target)} is not a directory`);
  // The file itself may well be writable: what failed is making a new file beside it.
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return fsError(
      err,
      op,
      shownPath,
      `cannot create a temporary file in folder ${dirname(tempPath)} (the replacement is made there, then renamed over the file)`,
    );
  }
  return fsError(err, op, shownPath);
}

/** A directory sync that failed after the rename it was to make durable. */
function notSynced(err: unknown, op: string, shownPath: string, dir: string): AtomicError {
  const code = systemCodeOf(err) ?? 'EIO';
  return new AtomicError(
    code,
    `${op} ${shownPath}: ${code}: replaced, but syncing folder ${dir} failed, so the change may not survive a power loss`,
    { path: shownPath, cause: err },
  );
}
