/**
 * moveFile: rename, then sync the directories of dest and src (each once). Across
 * devices (EXDEV) it never falls back to anything non-atomic: it copies into a temporary
 * file beside dest, syncs it, renames it over dest, syncs dest's directory, and only then
 * unlinks src and syncs src's directory. A crash in between leaves both copies, never none.
 */
import { dirname, resolve } from 'node:path';
import type { Disk, DiskStat } from '../disk/index.js';
import { throwIfAborted } from '../base/abort.js';
import { AtomicError, errorCode, fsError, invalidArg } from '../base/errors.js';
import { retryTransient } from '../base/retry.js';
import { pathArg, type PathLike } from './check-path.js';
import { checkOptions } from '../base/options-check.js';
import { syncDirectories, syncDirectory } from './dir-sync.js';
import { syncedAfter } from './synced-after.js';
import { hashIfExists } from './hash-existing.js';
import { preserveOf, recordOf, type AuditFile } from './hooks.js';
import { closeQuietly, openForRead } from './open-read.js';
import { diskOf, hashesContent, type SyncOptions, type WriteOptions } from './options.js';
import * as io from '../disk/io.js';
import { all, runAsync, runSync, type Dual } from '../disk/dual.js';
import { takeTicket } from './path-order.js';
import { realEntry, realish } from './real-path.js';
import { PendingFile } from './pending-file.js';
import { eachChunk } from './read-chunks.js';
import { describe } from './replace.js';
import { resolveTarget, type Target } from './resolve-target.js';
import { tempPathFor } from './temp-name.js';
import { makeParents } from './make-parents.js';
import { ownerToKeep } from './keep-owner.js';

/** `verify` and `onProgress` concern the copy across devices; a rename moves no data. */
export type MoveOptions = Pick<
  WriteOptions,
  'fsync' | 'verify' | 'backup' | 'audit' | 'onProgress' | 'signal' | 'retry' | 'disk' | 'parents'
>;

const OP = 'moveFile';

interface Move {
  disk: Disk;
  src: string;
  dest: string;
  from: string;
  srcStat: DiskStat;
  target: Target;
  opts: MoveOptions | undefined;
}

/**
 * Moves `src` to `dest`, replacing dest atomically (through a symbolic link at dest, the
 * file it points to). A symbolic link at src is moved itself. Moving onto itself is a no-op.
 */
export function moveFile(source: PathLike, destination: PathLike, opts?: MoveOptions): Promise<void> {
  return runAsync(move(OP, source, destination, opts));
}

/** moveFile, synchronously (the same protocol, dual.ts). */
export function moveFileSync(source: PathLike, destination: PathLike, opts?: SyncOptions<MoveOptions>): void {
  runSync(move(`${OP}Sync`, source, destination, opts));
}

function* move(call: string, source: PathLike, destination: PathLike, opts: MoveOptions | undefined): Dual<void> {
  const src = pathArg(call, source, 'src');
  const dest = pathArg(call, destination, 'dest');
  checkOptions(OP, call, src, opts, call.endsWith('Sync'));
  refuseMetadataOptions(src, opts);
  const disk = diskOf(opts);
  throwIfAborted(opts?.signal, OP, src);
  const from = resolve(src);
  // Taken at the call, so the move lands after earlier writes to either path. src is
  // moved itself (a link as the link), dest is written through its links. The two are one
  // group: they must not wait for each other.
  const to = resolve(dest);
  const group = {};
  const tickets = [
    takeTicket(disk, from, () => realEntry(disk, from), group),
    takeTicket(disk, to, () => realish(disk, to), group),
  ];
  let files: AuditFile[] = [{ path: from, before: null, after: null, size: 0 }];
  let moved = false;
  try {
    yield* all(tickets.map((t) => t.turn()));
    throwIfAborted(opts?.signal, OP, src);
    const m = yield* prepare(disk, src, dest, from, opts);
    if (!m) return;
    const before = yield* beforeMove(m);
    files = before.files;
    const after = yield* moveOnce(m);
    moved = true;
    files[0]!.after = after.sha256 ?? files[0]!.after;
    if (opts?.audit) yield* recordOf(opts.audit, { operation: OP, outcome: 'ok', backupId: before.backupId, files });
  } catch (err) {
    if (!moved && opts?.audit) {
      try {
        yield* recordOf(opts.audit, { operation: OP, outcome: 'failed', error: describe(err), files });
      } catch {
        // The caller learns of the failure itself; a trail that cannot take it adds nothing.
      }
    }
    throw err;
  } finally {
    for (const t of tickets) t.done();
  }
}

/** A rename keeps src's inode, so mode and owner cannot change atomically with it. */
function refuseMetadataOptions(src: string, opts: MoveOptions | undefined): void {
  const given: Partial<WriteOptions> | undefined = opts;
  if (given?.mode !== undefined || given?.chown !== undefined) {
    throw invalidArg(OP, src, "mode and chown are not supported: a move keeps the source file's mode and owner");
  }
}

/** Checks both ends; undefined when src and dest are one path (nothing to do). */
function* prepare(
  disk: Disk,
  src: string,
  dest: string,
  from: string,
  opts: MoveOptions | undefined,
): Dual<Move | undefined> {
  let srcStat: DiskStat;
  try {
    srcStat = yield* io.lstat(disk, from);
  } catch (err) {
    throw fsError(err, OP, src);
  }
  if (srcStat.isDirectory())
    throw new AtomicError('EISDIR', `${OP} ${src}: is a directory, expected a file`, { path: src });
  const target = yield* resolveTarget(disk, dest, OP);
  if (target.path === from || target.requested === from) return undefined;
  if (target.stat && (yield* sameFile(disk, from, srcStat, target.stat))) {
    // rename(2) between two links to one file does nothing and reports success; moving a
    // symbolic link onto the file it points to would leave a link to itself.
    throw new AtomicError('EINVAL', `${OP} ${src} -> ${dest}: source and destination are the same file`, {
      path: dest,
    });
  }
  return { disk, src, dest, from, srcStat, target, opts };
}

function* sameFile(disk: Disk, from: string, srcStat: DiskStat, destStat: DiskStat): Dual<boolean> {
  let real: DiskStat | undefined = srcStat;
  if (srcStat.isSymbolicLink()) {
    try {
      real = yield* io.stat(disk, from);
    } catch {
      real = undefined; // a dangling link is no file to compare
    }
  }
  return real !== undefined && real.dev === destStat.dev && real.ino === destStat.ino;
}

/** Backup of the replaced dest and the hashes for the audit trail, only when asked for. */
function* beforeMove(m: Move): Dual<{ backupId: string | undefined; files: AuditFile[] }> {
  const { disk, opts, target, from } = m;
  const backupId =
    opts?.backup && target.stat ? yield* preserveOf(opts.backup, [target.path], { operation: OP }) : undefined;
  const audited = opts?.audit !== undefined;
  const srcHash = audited && m.srcStat.isFile() ? yield* hashIfExists(disk, from) : null;
  const destHash = audited && target.stat ? yield* hashIfExists(disk, target.path) : null;
  return {
    backupId,
    files: [
      { path: target.path, before: destHash, after: srcHash, size: m.srcStat.size },
      { path: from, before: srcHash, after: null, size: 0 },
    ],
  };
}

/** Renames, or copies across devices; resolves to the copy's SHA-256 when it copied. */
function* moveOnce(m: Move): Dual<{ sha256: string | undefined }> {
  const { disk, opts, target, from } = m;
  try {
    yield* renameMakingParents(m);
  } catch (err) {
    if (errorCode(err) !== 'EXDEV') throw renameError(err, m);
    return { sha256: yield* moveAcrossDevices(m, err) };
  }
  // The rename is durable only once both directory entries are: the new one in dest's
  // directory and the removed one in src's (the same sync when they share a directory).
  if (opts?.fsync ?? true)
    yield* syncedAfter(
      syncDirectories(disk, [dirname(target.path), dirname(from)]),
      `${OP} ${m.src} ->`,
      m.dest,
      'moved',
    );
  return { sha256: undefined };
}

/** The rename; with `parents`, dest's missing folders are made (durably) if it fails for want of them. */
function* renameMakingParents(m: Move): Dual<void> {
  const { disk, opts, target, from } = m;
  const rename = (): Dual<void> => retryTransient(() => io.rename(disk, from, target.path), opts?.retry, opts?.signal);
  try {
    yield* rename();
    return;
  } catch (err) {
    // ENOENT also when src vanished: then the second rename fails the same way.
    if (opts?.parents !== true || errorCode(err) !== 'ENOENT') throw err;
  }
  yield* makeParents(disk, dirname(target.path), OP, m.dest);
  yield* rename();
}

/** Names both paths (the failure may be at either end), with dest as the error's path. */
function renameError(err: unknown, m: Move): Error {
  const detail =
    errorCode(err) === 'ENOENT'
      ? `no such file or directory (is there a folder ${dirname(m.target.path)}?)`
      : undefined;
  return fsError(err, `${OP} ${m.src} ->`, m.dest, detail);
}

function* moveAcrossDevices(m: Move, exdev: unknown): Dual<string | undefined> {
  const { disk, opts, target, from, src } = m;
  if (!m.srcStat.isFile()) throw fsError(exdev, OP, src, 'only regular files can be moved across devices');
  const fsync = opts?.fsync ?? true;
  const { file, stat } = yield* openForRead(disk, src, OP, opts?.retry);
  let pending: PendingFile | undefined;
  try {
    // A move resolves to nothing: the copy's hash is only for verify and the audit record.
    const made = (pending = yield* PendingFile.create(
      disk,
      tempPathFor(target.path),
      target.path,
      m.dest,
      OP,
      opts?.retry,
      hashesContent(opts, false),
    ));
    yield* eachChunk(file, { op: OP, path: src, signal: opts?.signal }, function* (chunk) {
      yield* made.write(chunk);
      opts?.onProgress?.({ bytes: made.bytes, total: stat.size });
    });
    // A move keeps src's mode, its times and, where permitted, its owner (as a rename and mv do).
    const times = { atimeMs: stat.atimeMs ?? stat.mtimeMs, mtimeMs: stat.mtimeMs };
    yield* made.finish({
      mode: stat.mode & 0o7777,
      owner: ownerToKeep(stat),
      ownerRequired: false,
      fsync,
      verify: opts?.verify ?? false,
      times,
    });
    throwIfAborted(opts?.signal, OP, src);
    yield* made.commit(fsync, opts?.retry);
  } finally {
    yield* closeQuietly(file);
    if (pending) yield* pending.discard();
  }
  // Only now that dest is durable may src go: a crash before this point leaves both.
  try {
    yield* retryTransient(() => io.unlink(disk, from), opts?.retry);
  } catch (err) {
    throw fsError(
      err,
      OP,
      src,
      `copied to ${m.dest} but could not remove the source: ${errorCode(err) ?? String(err)}`,
    );
  }
  // Without this sync a power cut could bring src back beside its copy.
  if (fsync)
    yield* syncedAfter(syncDirectory(disk, dirname(from)), `${OP} ${src} ->`, m.dest, 'copied and the source removed');
  return pending?.sha256;
}
