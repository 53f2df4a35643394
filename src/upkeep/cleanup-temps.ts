/**
 * cleanupTemps: removes the temporary files that interrupted writes of this library left
 * behind, and nothing else. A file qualifies only if its name is one `tempPathFor` makes
 * (parseTempName), it is a regular file (not a link, not a folder), and it is abandoned:
 * older than `olderThanMs`, or written by a pid that is not alive on this host.
 * Staged files of transactions (`.atomicfs-stage`) are never touched: recovery owns them.
 * Locks whose holder died are cleared too (stale-locks.ts), as lock() would clear them.
 */
import { join, resolve } from 'node:path';
import type { Disk, DiskStat } from '../disk/index.js';
import { throwIfAborted } from '../base/abort.js';
import { fsError } from '../base/errors.js';
import { pathArg, type PathLike } from '../file/check-path.js';
import { checkOptions } from '../base/options-check.js';
import { diskOf, type BaseOptions } from '../file/options.js';
import { isProcessAlive } from '../file/process-alive.js';
import { parseTempName, STATE_DIR } from '../file/temp-name.js';
import { clearLockLeftover, isLockLeftover } from '../lock/stale-locks.js';
import { lstatIfPresent, unlinkIfPresent } from '../file/if-present.js';
import { runAsync } from '../disk/dual.js';

export interface CleanupOptions extends Pick<BaseOptions, 'disk' | 'signal'> {
  /** A temporary file older than this (by mtime) is abandoned (default 15 minutes). */
  olderThanMs?: number | undefined;
  /** Also clean sub-folders (default false). Symbolic links to folders are not followed. */
  recursive?: boolean | undefined;
}

export interface CleanupResult {
  /** Absolute paths of the files (and empty lock folders) removed. */
  removed: string[];
}

const OP = 'cleanupTemps';
const DEFAULT_OLDER_THAN_MS = 15 * 60 * 1000;

export async function cleanupTemps(folder: PathLike, opts?: CleanupOptions): Promise<CleanupResult> {
  const dir = pathArg(OP, folder, 'dir', false);
  checkOptions(OP, OP, dir, opts);
  const olderThanMs = opts?.olderThanMs ?? DEFAULT_OLDER_THAN_MS;
  const removed: string[] = [];
  await cleanDir(
    diskOf(opts),
    resolve(dir),
    dir,
    { olderThanMs, recursive: opts?.recursive ?? false, signal: opts?.signal, now: Date.now() },
    removed,
  );
  return { removed };
}

interface Scan {
  olderThanMs: number;
  recursive: boolean;
  signal: AbortSignal | undefined;
  now: number;
}

async function cleanDir(disk: Disk, dir: string, shown: string, scan: Scan, removed: string[]): Promise<void> {
  throwIfAborted(scan.signal, OP, shown);
  let names: string[];
  try {
    names = await disk.readdir(dir);
  } catch (err) {
    throw fsError(err, OP, shown);
  }
  for (const name of names) {
    const path = join(dir, name);
    const stat = await runAsync(lstatIfPresent(disk, path, OP)); // gone since readdir: its writer committed
    if (!stat) continue;
    if (isLockLeftover(name)) {
      removed.push(
        ...(await runAsync(clearLockLeftover(disk, path, stat, scan.olderThanMs, scan.now)).catch((err: unknown) => {
          throw fsError(err, OP, path);
        })),
      );
      continue;
    }
    if (stat.isDirectory()) {
      if (scan.recursive && name !== STATE_DIR) await cleanDir(disk, path, path, scan, removed);
      continue;
    }
    if (!isAbandonedTemp(name, stat, scan)) continue;
    if (await runAsync(unlinkIfPresent(disk, path, OP))) removed.push(path);
  }
  // No directory sync: an abandoned temp that a power cut brings back is still abandoned,
  // and the next cleanup removes it.
}

function isAbandonedTemp(name: string, stat: DiskStat, scan: Scan): boolean {
  const parsed = parseTempName(name);
  if (!parsed || !stat.isFile()) return false;
  return scan.now - stat.mtimeMs > scan.olderThanMs || !isProcessAlive(parsed.pid);
}
