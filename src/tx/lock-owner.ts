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
import { runAsync } from '../disk/dual.js';

const OWNER_SUFFIX = '.owner';
const LIST_SUFFIX = '.locks';

async function createWith(disk: Disk, file: string, text: string, mode: number): Promise<void> {
  try {
    const fh = await disk.open(file, 'wx', mode);
    try {
      await fh.write(Buffer.from(text));
    } finally {
      await fh.close();
    }
  } catch (err) {
    await disk.unlink(file).catch(() => undefined);
    throw fsError(err, 'transaction', file);
  }
}

/** Creates the owner file of transaction `id`; the list of its locks first, so recovery finds every one. */
export async function createOwner(
  disk: Disk,
  realRoot: string,
  id: string,
  paths: readonly string[],
): Promise<LockOwner> {
  const dir = stateDirOf(realRoot);
  await ensureStateDir(disk, dir);
  const list = join(dir, id + LIST_SUFFIX);
  const file = join(dir, id + OWNER_SUFFIX);
  const record = newRecord();
  await createWith(disk, list, paths.map((p) => lockDirFor(p) + '\n').join(''), 0o600);
  try {
    await createWith(disk, file, JSON.stringify(record) + '\n', 0o644);
  } catch (err) {
    await disk.unlink(list).catch(() => undefined);
    throw err;
  }
  return { file, record, touchedAt: record.since };
}

/** Removes the owner file and its list once every lock linked to it is released. */
export async function removeOwner(disk: Disk, owner: LockOwner): Promise<void> {
  const list = owner.file.slice(0, -OWNER_SUFFIX.length) + LIST_SUFFIX;
  for (const file of [owner.file, list]) {
    try {
      await runAsync(unlinkPersistently(disk, file));
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
export async function clearDeadOwners(disk: Disk, realRoot: string): Promise<void> {
  const dir = stateDirOf(realRoot);
  let names: string[];
  try {
    names = await disk.readdir(dir);
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
  for (const id of dead) await clearOwner(disk, realRoot, join(dir, id));
}

async function readList(disk: Disk, list: string): Promise<string[]> {
  try {
    return (await runAsync(readWhole(disk, list, 'transaction'))).toString('utf8').split('\n');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return []; // a recovery removed it before the owner file
    throw err;
  }
}

async function clearOwner(disk: Disk, realRoot: string, base: string): Promise<void> {
  const [file, list] = [base + OWNER_SUFFIX, base + LIST_SUFFIX];
  try {
    // Missing if it died before making it: then no link to it can exist.
    const owner = await runAsync(lstatIfPresent(disk, file, 'recover'));
    const locks = owner ? await readList(disk, list) : [];
    for (const lock of locks) {
      if (!owner || !isInside(realRoot, lock) || !basename(lock).endsWith(LOCK_SUFFIX)) continue;
      const held = await disk.lstat(lock).catch(() => undefined);
      if (held?.isFile() && held.ino === owner.ino && held.dev === owner.dev)
        await runAsync(breakIfStale(disk, lock, 0));
    }
    // The owner file last: while it is there, a crash here leaves this to be done again.
    await runAsync(unlinkPersistently(disk, list));
    await runAsync(unlinkPersistently(disk, file));
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return; // cleared by another recovery meanwhile
    throw fsError(err, 'recover', base + OWNER_SUFFIX);
  }
}
