/**
 * A transaction's owner file, `<root>/.atomicfs/<id>.owner`: its lock record, readable by
 * anyone who may wait for its locks. Each path the transaction locks is held as a hard
 * link to this one file (lock/lock-link.ts), so that locking a hundred files makes no new
 * inode per file. The names of those locks are kept apart, in `<id>.locks` (mode 0600, in
 * the 0700 state folder), since a link beside one file must not tell other users the
 * names of the transaction's other files.
 *
 * Neither file is synced: locks do not outlive a power cut in any form that matters (a
 * lock whose record was lost counts as stale once `staleMs` old, and one naming this
 * process but not held by it is stale at once). If the owner dies, recovery breaks the
 * links still pointing at its file and removes both files, so no lock is left beside the
 * user's files.
 */
import { basename, join } from 'node:path';
import type { Disk } from '../disk/index.js';
import { errorCode, fsError } from '../base/errors.js';
import type { LockOwner } from '../lock/lock-link.js';
import { LOCK_SUFFIX, breakIfStale, lockDirFor, newRecord, unlinkPersistently } from '../lock/lock-record.js';
import { lstatIfPresent } from '../file/if-present.js';
import { ensureStateDir } from './journal.js';
import { readWhole } from '../file/read-file.js';
import { mayBeAlive } from './owner.js';
import { isInside, stateDirOf } from './root-paths.js';
import type { Dual } from '../disk/dual.js';
import * as io from '../disk/io.js';
import type { DiskFile } from '../disk/index.js';

const OWNER_SUFFIX = '.owner';
const LIST_SUFFIX = '.locks';

function* createWith(disk: Disk, file: string, text: string, mode: number): Dual<void> {
  try {
    const fh: DiskFile = yield* io.open(disk, file, 'wx', mode);
    try {
      yield* io.write(fh, Buffer.from(text));
    } finally {
      yield* io.close(fh);
    }
  } catch (err) {
    yield* unlinkQuietly(disk, file);
    throw fsError(err, 'transaction', file);
  }
}

function* unlinkQuietly(disk: Disk, file: string): Dual<void> {
  try {
    yield* io.unlink(disk, file);
  } catch {
    // Best effort: an owner file or list left behind is cleared by recovery.
  }
}

/** Creates the owner file of transaction `id`; the list of its locks first, so recovery finds every one. */
export function* createOwner(disk: Disk, realRoot: string, id: string, paths: readonly string[]): Dual<LockOwner> {
  const dir = stateDirOf(realRoot);
  yield* ensureStateDir(disk, dir);
  const list = join(dir, id + LIST_SUFFIX);
  const file = join(dir, id + OWNER_SUFFIX);
  const record = newRecord();
  yield* createWith(disk, list, paths.map((p) => lockDirFor(p) + '\n').join(''), 0o600);
  try {
    yield* createWith(disk, file, JSON.stringify(record) + '\n', 0o644);
  } catch (err) {
    yield* unlinkQuietly(disk, list);
    throw err;
  }
  return { file, record, touchedAt: record.since };
}

/** Removes the owner file and its list once every lock linked to it is released. */
export function* removeOwner(disk: Disk, owner: LockOwner): Dual<void> {
  const list = owner.file.slice(0, -OWNER_SUFFIX.length) + LIST_SUFFIX;
  for (const file of [owner.file, list]) {
    try {
      yield* unlinkPersistently(disk, file);
    } catch (err) {
      throw fsError(err, 'transaction', file);
    }
  }
}

/**
 * Breaks the locks left by dead transactions and removes their files. Only a lock that is
 * still a link to the dead owner's file is broken (same inode), and only one inside the
 * root with a lock's name, whatever a damaged list names.
 */
export function* clearDeadOwners(disk: Disk, realRoot: string): Dual<void> {
  const dir = stateDirOf(realRoot);
  let names: string[];
  try {
    names = yield* io.readdir(disk, dir);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return;
    throw fsError(err, 'recover', dir);
  }
  const dead = new Set<string>();
  for (const name of names) {
    const suffix = [OWNER_SUFFIX, LIST_SUFFIX].find((s) => name.endsWith(s));
    const id = suffix === undefined ? undefined : name.slice(0, -suffix.length);
    if (id !== undefined && !mayBeAlive(id)) dead.add(id);
  }
  for (const id of dead) yield* clearOwner(disk, realRoot, join(dir, id));
}

function* readList(disk: Disk, list: string): Dual<string[]> {
  try {
    return (yield* readWhole(disk, list, 'transaction')).toString('utf8').split('\n');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return []; // a recovery removed it before the owner file
    throw err;
  }
}

function* clearOwner(disk: Disk, realRoot: string, base: string): Dual<void> {
  const [file, list] = [base + OWNER_SUFFIX, base + LIST_SUFFIX];
  try {
    // Missing if it died before making it: then no link to it can exist.
    const owner = yield* lstatIfPresent(disk, file, 'recover');
    const locks = owner ? yield* readList(disk, list) : [];
    for (const lock of locks) {
      if (!owner || !isInside(realRoot, lock) || !basename(lock).endsWith(LOCK_SUFFIX)) continue;
      let held;
      try {
        held = yield* io.lstat(disk, lock);
      } catch {
        held = undefined;
      }
      if (held?.isFile() && held.ino === owner.ino && held.dev === owner.dev) yield* breakIfStale(disk, lock, 0);
    }
    // The owner file last: while it is there, a crash here leaves this to be done again.
    yield* unlinkPersistently(disk, list);
    yield* unlinkPersistently(disk, file);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return; // cleared by another recovery meanwhile
    throw fsError(err, 'recover', base + OWNER_SUFFIX);
  }
}
