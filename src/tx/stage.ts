/**
 * Writing the staged files of a transaction beside their targets, in parallel: the data
 * of every file is written and synced before the commit record can make it reachable.
 */
import { syncFlags, type Disk, type DiskStat } from '../disk/index.js';
import { abortError } from '../base/abort.js';
import { fsError } from '../base/errors.js';
import { chunksOf, sourceSize } from '../base/source.js';
import type { RetryOptions } from '../base/retry.js';
import { PendingFile } from '../file/pending-file.js';
import { openForRead } from '../file/open-read.js';
import { readChunks } from '../file/read-chunks.js';
import { modeFor } from '../file/file-mode.js';
import { ownerFor } from '../file/keep-owner.js';
import { noHardLink } from '../file/hard-links.js';
import type { Staged } from './staged.js';
import { runAsync } from '../disk/dual.js';

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
export async function stageFile(
  disk: Disk,
  p: Planned,
  retry: RetryOptions | undefined,
  signal: AbortSignal | undefined,
  audited: boolean,
): Promise<void> {
  const s = p.staged;
  if (s.kind === 'delete' || p.stage === undefined) return;
  if (s.kind === 'move' && (await stageByLink(disk, p, p.stage))) return;
  const input = s.kind === 'write' ? undefined : await runAsync(openForRead(disk, p.source ?? s.fromAbs, s.op, retry));
  const pending = await runAsync(
    PendingFile.create(disk, p.stage, p.target, s.path, s.op, retry, audited || (s.opts.verify ?? false)),
  );
  try {
    const encoding = s.opts.encoding ?? 'utf8';
    const total = input ? input.stat.size : s.kind === 'write' ? sourceSize(s.source, encoding) : undefined;
    const chunks =
      input && s.kind !== 'write'
        ? readChunks(input.file, { op: s.op, path: s.from, signal })
        : s.kind === 'write'
          ? chunksOf(s.source, s.op, s.path, encoding)
          : undefined;
    for await (const chunk of chunks ?? []) {
      if (signal?.aborted) throw abortError(signal, s.op, s.path);
      if (s.opts.signal?.aborted) throw abortError(s.opts.signal, s.op, s.path);
      await runAsync(pending.write(chunk));
      s.opts.onProgress?.({ bytes: pending.bytes, total });
    }
    const existing = p.stat ?? input?.stat;
    await runAsync(
      pending.finish({
        // mode: false and chown: false: a new file's, whatever the replaced file had.
        mode: modeFor(s.opts.mode, existing),
        owner: ownerFor(s.opts.chown, p.stat),
        ownerRequired: s.opts.chown !== undefined && s.opts.chown !== false,
        fsync: true, // always: the commit record must never point at data that is not on disk
        verify: s.opts.verify ?? false,
      }),
    );
    p.written = { sha256: pending.sha256, bytes: pending.bytes };
  } catch (err) {
    await runAsync(pending.discard());
    throw err;
  } finally {
    await input?.file.close().catch(() => undefined);
  }
}

/**
 * A move stages a hard link to its source (no copy); across devices it falls back to a
 * copy. The data is synced through the link: the source may never have been synced.
 */
async function stageByLink(disk: Disk, p: Planned, stage: string): Promise<boolean> {
  const s = p.staged;
  if (s.kind !== 'move' || p.source === undefined || !disk.capabilities.hardLinks) return false;
  try {
    await disk.link(p.source, stage);
  } catch (err) {
    if (noHardLink(err)) return false;
    throw fsError(err, s.op, s.from);
  }
  try {
    const file = await disk.open(stage, syncFlags(disk.capabilities));
    try {
      // The moved data must be durable before the commit record makes the move happen.
      await file.sync();
      const st = await file.stat();
      p.written = { sha256: undefined, bytes: st.size };
    } finally {
      await file.close();
    }
  } catch (err) {
    throw fsError(err, s.op, s.path);
  }
  return true;
}

/** Runs `fn` over `items`, at most `limit` at a time (enough to overlap syncs, not to exhaust descriptors). */
export async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw failed.err;
}
