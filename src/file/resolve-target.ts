/**
 * Where a write really lands. Writing through a symbolic link replaces the file it
 * points to and keeps the link (renaming over the link would replace the link itself).
 */
import { dirname, resolve } from 'node:path';
import type { Disk, DiskStat } from '../disk/index.js';
import { AtomicError, errorCode, fsError } from '../base/errors.js';
import * as io from '../disk/io.js';
import type { Dual } from '../disk/dual.js';

/** How many symbolic links one path may go through: Linux's MAXSYMLINKS, for every walk of links here. */
export const MAX_LINK_HOPS = 40;

export interface Target {
  /** The absolute path the caller named. */
  requested: string;
  /** The final file after following symbolic links. */
  path: string;
  /** Its stat, or undefined if it does not exist yet. */
  stat: DiskStat | undefined;
}

/** `requested` is `path` made absolute, when the caller has it already. */
export function* resolveTarget(disk: Disk, path: string, op: string, requested = resolve(path)): Dual<Target> {
  let current = requested;
  for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    let st: DiskStat;
    try {
      st = yield* io.lstat(disk, current);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return { requested, path: current, stat: undefined };
      throw fsError(err, op, path);
    }
    if (!st.isSymbolicLink()) {
      if (st.isDirectory()) throw new AtomicError('EISDIR', `${op} ${path}: is a directory, expected a file`, { path });
      return { requested, path: current, stat: st };
    }
    try {
      current = yield* linkTarget(disk, current);
    } catch (err) {
      throw fsError(err, op, path);
    }
  }
  throw tooManyLinks(op, path);
}

/** The absolute path the symbolic link at `link` points to (a relative link is relative to its folder). */
export function* linkTarget(disk: Disk, link: string): Dual<string> {
  return resolve(dirname(link), yield* io.readlink(disk, link));
}

/** ELOOP: more than MAX_LINK_HOPS links on the way. */
export function tooManyLinks(op: string | undefined, path: string): AtomicError {
  return new AtomicError('ELOOP', `${op === undefined ? '' : `${op} `}${path}: too many levels of symbolic links`, {
    path,
  });
}
