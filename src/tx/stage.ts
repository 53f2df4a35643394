/**
 * Writing the staged files of a transaction beside their targets, in parallel: the data
 * of every file is written and synced before the commit record can make it reachable.
 */
import { syncFlags, type Disk, type DiskStat } from '../disk/index.js';
import { abortError } from '../base/abort.js';
import { fsError, invalidArg } from '../base/errors.js';
import { chunksOf, isData, sourceSize, type Source } from '../base/source.js';
import type { RetryOptions } from '../base/retry.js';
import { PendingFile } from '../file/pending-file.js';
import { closeQuietly, openForRead, type OpenedForRead } from '../file/open-read.js';
import { eachChunk } from '../file/read-chunks.js';
import { modeFor } from '../file/file-mode.js';
import { ownerFor } from '../file/keep-owner.js';
import { noHardLink } from '../file/hard-links.js';
import type { Staged } from './staged.js';
import { all, call, runAsync, type Dual } from '../disk/dual.js';
import * as io from '../disk/io.js';

/** One staged op, resolved and planned under the transaction's locks. */
export interface Planned {
  staged: Staged;
  target: string;
  /** Real path of the source of a copy or a move. */
  source?: string | undefined;
  /** The target as it is now (undefined: it does not exist). */
  stat: DiskStat | undefined;
  /** Staged file name (not for deletes). */
  stage?: string | undefined;
  /** SHA-256 (none for a move staged by a link) and size of the staged content, once written. */
  written?: { sha256: string | undefined; bytes: number } | undefined;
}

/**
 * Writes and syncs the staged file of a write, copy or (across devices) move. Its content
 * is hashed only for an audit record or `verify`: nothing else reads the hash.
 */
export function* stageFile(
  disk: Disk,
  p: Planned,
  retry: RetryOptions | undefined,
  signal: AbortSignal | undefined,
  audited: boolean,
): Dual<void> {
  const s = p.staged;
  if (s.kind === 'delete' || p.stage === undefined) return;
  if (s.kind === 'move' && (yield* stageByLink(disk, p, p.stage))) return;
  const input: OpenedForRead | undefined =
    s.kind === 'write' ? undefined : yield* openForRead(disk, p.source ?? s.fromAbs, s.op, retry);
  const pending = yield* PendingFile.create(
    disk,
    p.stage,
    p.target,
    s.path,
    s.op,
    retry,
    audited || (s.opts.verify ?? false),
  );
  try {
    const encoding = s.opts.encoding ?? 'utf8';
    const total = input ? input.stat.size : s.kind === 'write' ? sourceSize(s.source, encoding) : undefined;
    const put = function* (chunk: Uint8Array): Dual<void> {
      if (signal?.aborted) throw abortError(signal, s.op, s.path);
      if (s.opts.signal?.aborted) throw abortError(s.opts.signal, s.op, s.path);
      yield* pending.write(chunk);
      s.opts.onProgress?.({ bytes: pending.bytes, total });
    };
    if (input) yield* eachChunk(input.file, { op: s.op, path: s.kind === 'write' ? s.path : s.from, signal }, put);
    else if (s.kind === 'write') {
      if (isData(s.source)) yield* put(typeof s.source === 'string' ? Buffer.from(s.source, encoding) : s.source);
      else yield* streamInto(s.source, s.op, s.path, encoding, put);
    }
    const existing = p.stat ?? input?.stat;
    yield* pending.finish({
      // mode: false and chown: false: a new file's, whatever the replaced file had.
      mode: modeFor(s.opts.mode, existing),
      owner: ownerFor(s.opts.chown, p.stat),
      ownerRequired: s.opts.chown !== undefined && s.opts.chown !== false,
      fsync: true, // always: the commit record must never point at data that is not on disk
      verify: s.opts.verify ?? false,
    });
    p.written = { sha256: pending.sha256, bytes: pending.bytes };
  } catch (err) {
    yield* pending.discard();
    throw err;
  } finally {
    if (input) yield* closeQuietly(input.file);
  }
}

/**
 * A staged stream, read to its end into the staged file: only an asynchronous commit can
 * wait for its chunks. commitSync refuses such a transaction before it starts (see
 * transaction.ts); this only guards that.
 */
function streamInto(
  source: Source,
  op: string,
  path: string,
  encoding: BufferEncoding,
  put: (chunk: Uint8Array) => Dual<void>,
): Dual<void> {
  return call(
    () => {
      throw unreadStream(op, path);
    },
    async () => {
      for await (const chunk of chunksOf(source, op, path, encoding)) await runAsync(put(chunk));
    },
  );
}

/** The error of commitSync for a transaction holding a stream it has not read. */
export function unreadStream(op: string, path: string): Error {
  return invalidArg(
    op,
    path,
    'its content is a stream, which only an asynchronous commit can read (commitSync takes strings, bytes, copies, moves and deletes)',
  );
}

/**
 * A move stages a hard link to its source (no copy); across devices it falls back to a
 * copy. The data is synced through the link: the source may never have been synced.
 */
function* stageByLink(disk: Disk, p: Planned, stage: string): Dual<boolean> {
  const s = p.staged;
  if (s.kind !== 'move' || p.source === undefined || !disk.capabilities.hardLinks) return false;
  try {
    yield* io.link(disk, p.source, stage);
  } catch (err) {
    if (noHardLink(err)) return false;
    throw fsError(err, s.op, s.from);
  }
  try {
    const file = yield* io.open(disk, stage, syncFlags(disk.capabilities));
    try {
      // The moved data must be durable before the commit record makes the move happen.
      yield* io.fsync(file);
      const st = yield* io.fstat(file);
      p.written = { sha256: undefined, bytes: st.size };
    } finally {
      yield* io.close(file);
    }
  } catch (err) {
    throw fsError(err, s.op, s.path);
  }
  return true;
}

/** Runs `fn` over `items`, at most `limit` at a time (enough to overlap syncs, not to exhaust descriptors). */
export function* inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Dual<void>): Dual<void> {
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = function* (): Dual<void> {
    while (next < items.length && !failed) {
      const item = items[next++] as T;
      try {
        yield* fn(item);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  // Driven synchronously, the first worker does them all, one after the other.
  yield* all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw failed.err;
}
