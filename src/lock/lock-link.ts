/**
 * The cheap form of an exclusive lock, for a holder that locks many paths at once (a
 * transaction). Instead of a folder holding an `x` record, the lock name itself is made a
 * hard link to the holder's owner file, whose first line is its record. A link makes no
 * new inode and one owner file serves every path, so a lock costs a link and an unlink
 * instead of a folder, a record file, and the removal of both.
 *
 * The two forms exclude each other by name: while a link is there, the lock folder cannot
 * be made (EEXIST) nor records made in it (ENOTDIR); while a folder is there (readers, or
 * a holder of the folder form), the link fails (EEXIST) and the holder uses the folder
 * form instead, whose claim makes new readers wait, so that writers are not starved.
 */
import type { Disk, DiskStat } from '../disk/index.js';
import { errorCode } from '../base/errors.js';
import { breakIfStale, type LockRecord } from './lock-record.js';
import { noHardLink } from '../file/hard-links.js';
import type { Dual } from '../disk/dual.js';
import * as io from '../disk/io.js';

export interface LockOwner {
  /** A file on the file system of the locked paths whose first line is `record`. */
  file: string;
  record: LockRecord;
  /** When the owner file's mtime was last set (every link shares it): holders on other hosts judge staleness by it. */
  touchedAt: number;
}

/** held: the lock is ours; busy: another holder has it; folder, unsupported: use the folder form. */
export type LinkAttempt = 'held' | 'busy' | 'folder' | 'unsupported';

/** Tries to make the lock `name` a link to the owner file, breaking a dead holder's link. */
export function* tryLink(disk: Disk, owner: LockOwner, name: string, staleMs: number): Dual<LinkAttempt> {
  if (!disk.capabilities.hardLinks) return 'unsupported';
  // After a long wait for another lock, the owner file may look stale from another host
  // the moment it is linked: refresh it first (holders refresh it every staleMs / 3).
  if (Date.now() - owner.touchedAt > staleMs / 3) {
    const now = Date.now();
    yield* io.utimes(disk, owner.file, now, now);
    owner.touchedAt = now;
  }
  try {
    yield* io.link(disk, owner.file, name);
    return 'held';
  } catch (err) {
    // No hard links on this file system, or the owner file is on another one.
    if (noHardLink(err)) return 'unsupported';
    if (errorCode(err) !== 'EEXIST') throw err;
  }
  let st: DiskStat;
  try {
    st = yield* io.lstat(disk, name);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return 'busy'; // released meanwhile: try again
    throw err;
  }
  if (st.isDirectory()) return 'folder';
  yield* breakIfStale(disk, name, staleMs);
  return 'busy';
}
