/**
 * Where a write really lands. Writing through a symbolic link replaces the file it
 * points to and keeps the link (renaming over the link would replace the link itself).
 */
import { dirname, resolve } from 'node:path';
import type { Disk, DiskStat } from '../disk/index.js';
import { AtomicError, errorCode, fsError } from '../base/errors.js';

const MAX_HOPS = 40; // as Linux's MAXSYMLINKS

export interface Target {
  /** The absolute path the caller named. */
  requested: string;
  /** The final file after following symbolic links. */
  path: string;
  /** Its stat, or undefined if it does not exist yet. */
  stat: DiskStat | undefined;
}

/** `requested` is `path` made absolute, when the caller has it already. */
export async function resolveTarget(disk: Disk, path: string, op: string, requested = resolve(path)): Promise<Target> {
  let current = requested;
  for (let hop = 0; hop <= MAX_HOPS; hop++) {
    let st: DiskStat;
    try {
      st = await disk.lstat(current);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return { requested, path: current, stat: undefined };
      throw fsError(err, op, path);
    }
    if (!st.isSymbolicLink()) {
      if (st.isDirectory()) throw new AtomicError('EISDIR', `${op} ${path}: is a directory, expected a file`, { path });
      return { requested, path: current, stat: st };
    }
    current = resolve(dirname(current), await readLink(disk, current, path, op));
  }
  throw new AtomicError('ELOOP', `${op} ${path}: too many levels of symbolic links`, { path });
}

async function readLink(disk: Disk, link: string, path: string, op: string): Promise<string> {
  try {
    return await disk.readlink(link);
  } catch (err) {
    throw fsError(err, op, path);
  }
}
