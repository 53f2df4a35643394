/**
 * Lock leftovers for cleanupTemps: locks whose holder is dead (a link, or a folder's
 * records) are broken as a waiting lock() would break them, empty lock folders removed,
 * and records that a broken or failed release moved aside (`b-<hex>`) removed once old.
 * A live holder's lock is never touched, nor an aside record a breaker may still be using.
 */
import { basename, join } from 'node:path';
import type { Disk, DiskStat } from '../disk/index.js';
import { lstatIfPresent, unlinkIfPresent } from '../file/if-present.js';
import { ASIDE_RE, EXCLUSIVE, LOCK_SUFFIX, SHARED_PREFIX, breakIfStale } from './lock-record.js';
import type { Dual } from '../disk/dual.js';
import * as io from '../disk/io.js';
import { errorCode } from '../base/errors.js';

/**
 * Holders on other hosts (and unreadable records) count as dead only after this long
 * without a refresh, whatever `olderThanMs` says: live ones refresh their records every
 * staleMs / 3 (30 s by default), and a cleanup must not break them. Aside records live
 * for a moment unless their mover died; they too must be this old.
 */
const MIN_STALE_MS = 30_000;
const OP = 'cleanupTemps';

function* exists(disk: Disk, path: string): Dual<boolean> {
  return (yield* lstatIfPresent(disk, path, OP)) !== undefined;
}

export function isLockLeftover(name: string): boolean {
  return name.endsWith(LOCK_SUFFIX) || ASIDE_RE.test(name);
}

/** Clears what is dead at `path` (a lock or an aside record); resolves to the paths removed. */
export function* clearLockLeftover(
  disk: Disk,
  path: string,
  stat: DiskStat,
  olderThanMs: number,
  now: number,
): Dual<string[]> {
  const staleMs = Math.max(olderThanMs, MIN_STALE_MS);
  if (ASIDE_RE.test(basename(path)))
    return stat.isFile() && now - stat.mtimeMs > staleMs && (yield* unlinkIfPresent(disk, path, OP)) ? [path] : [];
  if (stat.isFile()) {
    yield* breakIfStale(disk, path, staleMs);
    return (yield* exists(disk, path)) ? [] : [path];
  }
  if (!stat.isDirectory()) return [];
  let names: string[];
  try {
    names = yield* io.readdir(disk, path);
  } catch (err) {
    // Released by its holder since it was found: nothing left to clear.
    if (errorCode(err) === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names) {
    const record = join(path, name);
    if (name === EXCLUSIVE || name.startsWith(SHARED_PREFIX)) {
      yield* breakIfStale(disk, record, staleMs);
      if (!(yield* exists(disk, record))) removed.push(record);
    } else if (ASIDE_RE.test(name)) {
      const st = yield* lstatIfPresent(disk, record, OP);
      if (st?.isFile() && now - st.mtimeMs > staleMs && (yield* unlinkIfPresent(disk, record, OP)))
        removed.push(record);
    }
  }
  // Fails harmlessly while a live holder's record is in it (a locker that finds it gone
  // makes it again).
  try {
    yield* io.rmdir(disk, path);
    removed.push(path);
  } catch {
    // Still in use.
  }
  return removed;
}
