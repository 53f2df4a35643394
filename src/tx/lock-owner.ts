/**
 * A transaction's owner file, `<root>/.atomicfs/<id>.owner`: its lock record on the first
 * line, then the name of every lock it may hold, one per line. Each path the transaction
 * locks is held as a hard link to this one file (file/lock-link.ts), so that locking a
 * hundred files makes no new inode per file.
 *
 * The file is not synced: locks do not outlive a power cut in any form that matters (a
 * lock whose record was lost counts as stale once `staleMs` old). If the owner dies,
 * recovery breaks the links still pointing at its file and then removes the file, so no
 * lock is left beside the user's files.
 */
import { basename, join } from 'node:path';
import type { Disk } from '../disk/index.js';
import { errorCode, fsError } from '../base/errors.js';
import type { LockOwner } from '../file/lock-link.js';
import { breakIfStale, lockDirFor, newRecord, unlinkPersistently } from '../file/lock-record.js';
import { ensureStateDir, readWhole } from './journal.js';
import { mayBeAlive } from './owner.js';
import { isInside, stateDirOf } from './root-paths.js';

const OWNER_SUFFIX = '.owner';
const LOCK_SUFFIX = '.atomicfs-lock';

/** Creates the owner file of transaction `id`, naming the locks of `paths`. */
export async function createOwner(disk: Disk, realRoot: string, id: string, paths: readonly string[]): Promise<LockOwner> {
  const dir = stateDirOf(realRoot);
  await ensureStateDir(disk, dir);
  const file = join(dir, id + OWNER_SUFFIX);
  const record = newRecord();
  const text = [JSON.stringify(record), ...paths.map(lockDirFor)].join('\n') + '\n';
  try {
    const fh = await disk.open(file, 'wx', 0o644);
    try {
      await fh.write(Buffer.from(text));
    } finally {
      await fh.close();
    }
  } catch (err) {
    await disk.unlink(file).catch(() => undefined);
    throw fsError(err, 'transaction', file);
  }
  return { file, record };
}

/** Removes the owner file once every lock linked to it is released. */
export async function removeOwner(disk: Disk, owner: LockOwner): Promise<void> {
  try {
    await unlinkPersistently(disk, owner.file);
  } catch (err) {
    throw fsError(err, 'transaction', owner.file);
  }
}

/**
 * Breaks the locks left by dead transactions and removes their owner files. Only a lock
 * that is still a link to the dead owner's file is broken (same inode), and only one
 * inside the root with a lock's name, whatever a damaged owner file lists.
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
  for (const name of names) {
    if (!name.endsWith(OWNER_SUFFIX) || mayBeAlive(name.slice(0, -OWNER_SUFFIX.length))) continue;
    await clearOwner(disk, realRoot, join(dir, name));
  }
}

async function clearOwner(disk: Disk, realRoot: string, file: string): Promise<void> {
  try {
    const [text, st] = await Promise.all([readWhole(disk, file), disk.lstat(file)]);
    const locks = text.toString('utf8').split('\n').slice(1);
    for (const lock of locks) {
      if (!isInside(realRoot, lock) || !basename(lock).endsWith(LOCK_SUFFIX)) continue;
      const held = await disk.lstat(lock).catch(() => undefined);
      if (held?.isFile() && held.ino === st.ino && held.dev === st.dev) await breakIfStale(disk, lock, 0);
    }
    await unlinkPersistently(disk, file);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return; // cleared by another recovery meanwhile
    throw fsError(err, 'recover', file);
  }
}
