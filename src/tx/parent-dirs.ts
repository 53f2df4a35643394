/**
 * The missing parent folders of a transaction's files. A file's lock lives beside it, so
 * its folder must exist before the transaction can lock it, let alone stage it: the
 * folders are made first, before the locks. So that a crash can never leave a folder
 * nobody knows about, they are named first in the transaction's *folder journal*,
 * `<root>/.atomicfs/<id>.dirs` (synced, and its entry in `.atomicfs/` too); only then is
 * each made, parents first, and each created folder's parent synced.
 *
 * The folder journal outlives the transaction's journal: it goes only once the
 * transaction is over. A rolled-back transaction (in process, or by recovery, which
 * reads every dead folder journal after the dead transactions' journals) removes each
 * named folder that is empty, deepest first. A committed one needs no such care: each
 * folder it made holds a file it wrote, so "remove it if empty" leaves it alone.
 */
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import type { Disk, DiskFile } from '../disk/index.js';
import { errorCode, fsError } from '../base/errors.js';
import { syncDirAlone, syncDirectories, syncDirectory } from '../file/dir-sync.js';
import { lstatIfPresent, unlinkIfPresent } from '../file/if-present.js';
import { isLockLeftover } from '../lock/stale-locks.js';
import { ensureStateDir } from './journal.js';
import { readWhole } from '../file/read-file.js';
import { isTxId } from './owner.js';
import { isInside, stateDirOf } from './root-paths.js';
import { all, type Dual } from '../disk/dual.js';
import * as io from '../disk/io.js';
import { closeQuietly } from '../file/open-read.js';
import { clearLockLeftover } from '../lock/stale-locks.js';

export const DIRS_SUFFIX = '.dirs';

/** A transaction's created folders: the folder journal, and the folders it really made. */
export interface MadeDirs {
  record: string;
  /** Named in the record (parents first); some may have been made by someone else meanwhile. */
  named: string[];
  /** Made by this transaction, parents first. */
  made: string[];
}

export function dirsRecordPathFor(realRoot: string, id: string): string {
  return join(stateDirOf(realRoot), id + DIRS_SUFFIX);
}

export function idOfDirsRecord(name: string): string | undefined {
  if (!name.endsWith(DIRS_SUFFIX)) return undefined;
  const id = name.slice(0, -DIRS_SUFFIX.length);
  return isTxId(id) ? id : undefined;
}

const depth = (p: string): number => p.split(sep).length;

/** The missing folders (`missing`: real paths found absent) that hold one of `targets`, parents first. */
export function foldersToCreate(realRoot: string, targets: readonly string[], missing: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const t of targets) {
    for (let d = dirname(t); isInside(realRoot, d); d = dirname(d)) if (missing.has(d)) out.add(d);
  }
  return [...out].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : 1));
}

/**
 * Names `dirs` in the folder journal (durably), then makes each, parents first, and
 * syncs the parent of each folder made. `into.made` grows as folders are made, so a
 * caller can remove them again whatever step fails.
 */
export function* makeParents(
  disk: Disk,
  realRoot: string,
  id: string,
  dirs: readonly string[],
  into: MadeDirs,
): Dual<void> {
  const record = into.record;
  yield* ensureStateDir(disk, dirname(record));
  let file: DiskFile;
  try {
    file = yield* io.open(disk, record, 'wx', 0o600);
  } catch (err) {
    throw fsError(err, 'transaction', record);
  }
  try {
    yield* io.write(file, Buffer.from(JSON.stringify({ v: 1, id, root: realRoot, dirs }) + '\n'), 0);
    // Named durably before any is made: a crash must not leave a folder no journal names.
    yield* all([io.fsync(file), syncDirAlone(disk, dirname(record))]);
  } catch (err) {
    throw fsError(err, 'transaction', record);
  } finally {
    yield* closeQuietly(file);
  }
  into.named = [...dirs];
  for (const level of byDepth(dirs)) yield* all(level.map((d) => makeDir(disk, d, into)));
  into.made.sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : 1));
  // A new folder's entry is durable only once its parent is synced; the staged files
  // made in it next, and the commit record after them, must not outlive it.
  yield* syncDirectories(disk, new Set(into.made.map((d) => dirname(d))));
}

function* makeDir(disk: Disk, d: string, into: MadeDirs): Dual<void> {
  try {
    yield* io.mkdir(disk, d);
    into.made.push(d);
  } catch (err) {
    // Made meanwhile by someone else: theirs, not ours to remove.
    if (errorCode(err) !== 'EEXIST') throw fsError(err, 'create folder', d);
  }
}

function byDepth(dirs: readonly string[]): string[][] {
  const levels = new Map<number, string[]>();
  for (const d of dirs) levels.set(depth(d), [...(levels.get(depth(d)) ?? []), d]);
  return [...levels.keys()].sort((a, b) => a - b).map((k) => levels.get(k) ?? []);
}

/**
 * Removes each of `dirs` that is empty, deepest first, and syncs the parents of those
 * removed: a folder that still holds anything (a file written since, someone else's
 * lock) stays. Resolves to the folders removed.
 */
export function* removeEmptyDirs(disk: Disk, dirs: readonly string[], clearDeadLocks = false): Dual<string[]> {
  const removed: string[] = [];
  for (const d of [...new Set(dirs)].sort((a, b) => depth(b) - depth(a) || (a < b ? -1 : 1))) {
    if (clearDeadLocks) yield* clearDeadLocksIn(disk, d);
    try {
      yield* io.rmdir(disk, d);
      removed.push(d);
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ENOENT' || code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') continue;
      throw fsError(err, 'remove folder', d);
    }
  }
  const gone = new Set(removed);
  // The removals are durable once the folders that held them are synced.
  yield* syncDirectories(disk, new Set(removed.map((d) => dirname(d)).filter((p) => !gone.has(p))));
  return removed;
}

/**
 * A recovery cut short by a crash can leave its own locks (now dead) in a folder whose
 * transaction's journal is already gone: nothing would ever lock those paths again to
 * take them over, and the folder could never be removed. They are cleared as
 * cleanupTemps clears dead locks; a live holder's lock stays (and so does the folder).
 */
function* clearDeadLocksIn(disk: Disk, dir: string): Dual<void> {
  let names: string[];
  try {
    names = yield* io.readdir(disk, dir);
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return;
    throw fsError(err, 'recover', dir);
  }
  for (const name of names.filter(isLockLeftover)) {
    const path = join(dir, name);
    const stat = yield* lstatIfPresent(disk, path, 'recover');
    if (stat) yield* clearLockLeftover(disk, path, stat, 0, Date.now());
  }
}

/** Drops the folder journal durably, once the folders it names need no more care. */
export function* removeDirsRecord(disk: Disk, record: string): Dual<void> {
  yield* unlinkIfPresent(disk, record, 'remove folder journal');
  yield* syncDirectory(disk, dirname(record));
}

/**
 * The folders a dead transaction's folder journal names, checked to lie in the root and
 * outside its state; [] for a record torn by a crash (its sync never returned, so none
 * was made) or gone.
 */
export function* readDirsRecord(disk: Disk, realRoot: string, record: string): Dual<string[]> {
  let text: string;
  try {
    text = (yield* readWhole(disk, record, 'recover')).toString('utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return [];
    throw fsError(err, 'recover', record);
  }
  let v: { root?: unknown; dirs?: unknown };
  try {
    v = JSON.parse(text) as { root?: unknown; dirs?: unknown };
  } catch {
    return [];
  }
  if (v === null || typeof v !== 'object' || v.root !== realRoot || !Array.isArray(v.dirs)) return [];
  const state = stateDirOf(realRoot);
  // Only ever empty folders inside the root are removed; a forged record can do no more.
  return v.dirs.filter(
    (d): d is string =>
      typeof d === 'string' &&
      isAbsolute(d) &&
      normalize(d) === d &&
      isInside(realRoot, d) &&
      d !== state &&
      !isInside(state, d),
  );
}

/** Folder journals of owners that are gone, by id. */
export function deadDirsIds(names: readonly string[], mayBeAlive: (id: string) => boolean): string[] {
  return names
    .map(idOfDirsRecord)
    .filter((id): id is string => id !== undefined && !mayBeAlive(id))
    .sort();
}
