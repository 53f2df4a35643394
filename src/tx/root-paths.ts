/**
 * Every path of a transaction must lie in its root, after `..` and symbolic links are
 * resolved: a link inside the root that points outside it must not let a transaction
 * (or a forged journal) replace files elsewhere. Paths are compared as real paths.
 */
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Disk } from '../disk/index.js';
import { AtomicError, fsError, invalidArg } from '../base/errors.js';
import { STATE_DIR } from '../file/temp-name.js';
import { isLink, realish } from '../file/real-path.js';
import { pathArg } from '../file/check-path.js';
import { fork, join as joinTask, type Dual, type Task } from '../disk/dual.js';
import * as io from '../disk/io.js';

export function stateDirOf(realRoot: string): string {
  return join(realRoot, STATE_DIR);
}

/**
 * True if `path` (absolute, normalized) lies strictly inside `root`. node:path's own rules:
 * on Windows `relative` compares without case and answers with backslashes (`..\\x`).
 */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** True if `a` and `b` (absolute) name the same place, under node:path's rules (case too). */
function samePlace(a: string, b: string): boolean {
  return relative(a, b) === '';
}

export function outsideRoot(op: string, path: string, root: string): AtomicError {
  return new AtomicError('EOUTSIDEROOT', `${op} ${path}: outside the transaction root ${root}`, { path });
}

/** Resolves the root to its real path; it must be an existing directory. */
export function* openRoot(disk: Disk, given: unknown, op: string): Dual<string> {
  const root = pathArg(op, given, 'root', false);
  let real: string;
  try {
    real = yield* io.realpath(disk, resolve(root));
    if (!(yield* io.stat(disk, real)).isDirectory())
      throw new AtomicError('ENOTDIR', `${op} ${root}: root is not a directory`, { path: root });
  } catch (err) {
    throw fsError(err, op, root);
  }
  return real;
}

/**
 * The cheap check made when an operation is staged, before any disk access: the path
 * as written must lie in the root (as given or as resolved). Links are checked at commit.
 */
export function checkLexically(op: string, path: string, root: string, realRoot: string): string {
  const abs = resolve(path);
  if (!isInside(resolve(root), abs) && !isInside(realRoot, abs)) throw outsideRoot(op, path, root);
  const states = [stateDirOf(resolve(root)), stateDirOf(realRoot)];
  if (states.some((s) => samePlace(s, abs) || isInside(s, abs))) {
    throw invalidArg(op, path, `${STATE_DIR} holds atomicfs's own state and cannot be changed by a transaction`);
  }
  return abs;
}

/** Refuses a real path outside `realRoot` or inside its state folder. */
function checkReal(realRoot: string, real: string, path: string, op: string): string {
  if (!isInside(realRoot, real)) throw outsideRoot(op, path, realRoot);
  if (samePlace(real, stateDirOf(realRoot)) || isInside(stateDirOf(realRoot), real)) {
    throw invalidArg(op, path, `${STATE_DIR} holds atomicfs's own state and cannot be changed by a transaction`);
  }
  return real;
}

export type RootResolver = (path: string, op: string) => Dual<string>;

/**
 * Resolves paths to real paths, each refused with EOUTSIDEROOT unless it lies in
 * `realRoot`. The files of one transaction mostly share a few folders: each folder is
 * resolved once, and each file then costs one lstat (to see whether it is itself a link)
 * instead of a realpath that walks every component again. `missing` collects the real
 * paths of folders on the way that do not exist (see realish).
 */
export function rootResolver(disk: Disk, realRoot: string, missing?: Set<string>): RootResolver {
  // A folder being resolved is shared by the files in it, as a task (joined by each).
  const dirs = new Map<string, Task<string>>();
  function* realDir(dir: string): Dual<string> {
    let real = dirs.get(dir);
    if (!real) {
      real = yield* fork(realish(disk, dir, 0, missing));
      dirs.set(dir, real);
    }
    return yield* joinTask(real);
  }
  return function* (path, op) {
    const abs = resolve(path);
    let real: string;
    try {
      real = dirname(abs) === abs ? abs : yield* leafOf(disk, join(yield* realDir(dirname(abs)), basename(abs)));
    } catch (err) {
      throw fsError(err, op, path);
    }
    return checkReal(realRoot, real, path, op);
  };
}

/** `candidate` (in a real folder) if it is not a symbolic link, else where the link leads. */
function* leafOf(disk: Disk, candidate: string): Dual<string> {
  return (yield* isLink(disk, candidate)) ? yield* realish(disk, candidate, 0) : candidate;
}
