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

/** Where a walk of symbolic links ended: the first entry that is not a link, or is missing. */
export interface LinkEnd {
  path: string;
  /** Its lstat; undefined if nothing is there. */
  stat: DiskStat | undefined;
  /** Links followed so far, those of earlier walks included. */
  hops: number;
}

/**
 * Follows the symbolic link at `path`, and the one it leads to, and so on, until an entry
 * that is not a link (or a missing one): the one link walker, behind both a write's target
 * (resolveTarget) and a path's real name (real-path.ts). `hops` counts links followed by
 * earlier walks of the same path, so that no path goes through more than MAX_LINK_HOPS.
 * Errors are the disk's own; callers name their path.
 */
export function* walkLinks(disk: Disk, path: string, hops = 0): Dual<LinkEnd> {
  let current = path;
  for (let hop = hops; hop <= MAX_LINK_HOPS; hop++) {
    const st = yield* io.lstatIfAny(disk, current);
    if (!st?.isSymbolicLink()) return { path: current, stat: st, hops: hop };
    current = yield* linkTarget(disk, current);
  }
  throw tooManyLinks(undefined, path);
}

/** `requested` is `path` made absolute, when the caller has it already. */
export function* resolveTarget(disk: Disk, path: string, op: string, requested = resolve(path)): Dual<Target> {
  let stat: DiskStat | undefined;
  try {
    stat = yield* io.lstatIfAny(disk, requested);
  } catch (err) {
    throw resolveFailure(err, op, path);
  }
  // Most paths are not links: their one lstat is made here, and only a link is walked.
  return stat?.isSymbolicLink()
    ? yield* throughLink(disk, path, op, requested)
    : plainTarget(path, op, requested, stat);
}

/**
 * The target at `requested`, whose lstat (`io.lstatIfAny`, which a caller may run
 * alongside other work) found `stat` there, not a symbolic link: the path itself.
 */
export function plainTarget(path: string, op: string, requested: string, stat: DiskStat | undefined): Target {
  if (stat?.isDirectory()) throw isDirectory(op, path);
  return { requested, path: requested, stat };
}

/** The target at `requested`, a symbolic link: where its links lead. */
export function* throughLink(disk: Disk, path: string, op: string, requested: string): Dual<Target> {
  let end: LinkEnd;
  try {
    end = yield* walkLinks(disk, yield* linkTarget(disk, requested), 1);
  } catch (err) {
    throw resolveFailure(err, op, path);
  }
  if (end.stat?.isDirectory()) throw isDirectory(op, path);
  return { requested, path: end.path, stat: end.stat };
}

/** A failure to resolve `path` (of its lstat, or on the way through its links), naming it. */
export function resolveFailure(err: unknown, op: string, path: string): Error {
  if (errorCode(err) === 'ELOOP' && err instanceof AtomicError) return tooManyLinks(op, path);
  return fsError(err, op, path);
}

function isDirectory(op: string, path: string): AtomicError {
  return new AtomicError('EISDIR', `${op} ${path}: is a directory, expected a file`, { path });
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
