/**
 * The owner a replacement keeps. A file written anew belongs to this process's user and
 * group; to keep the replaced file's owner, it is chowned to it, and only when that would
 * change something (the common case, replacing one's own file, costs no call).
 */
import type { DiskStat } from '../disk/index.js';

// Read once: a process that changes its own ids mid-run is not one we write for.
const OUR_UID = process.getuid?.();
const OUR_GID = process.getgid?.();

export interface Owner {
  uid: number;
  gid: number;
}

/** `existing`'s owner when a new file would not have it anyway; undefined for none. */
export function ownerToKeep(existing: DiskStat | undefined): Owner | undefined {
  if (!existing) return undefined;
  if (existing.uid === OUR_UID && existing.gid === OUR_GID) return undefined;
  return { uid: existing.uid, gid: existing.gid };
}

/** The owner asked for (`chown`), else the one to keep (ownerToKeep). */
export function ownerFor(chown: Owner | undefined, existing: DiskStat | undefined): Owner | undefined {
  return chown ?? ownerToKeep(existing);
}
