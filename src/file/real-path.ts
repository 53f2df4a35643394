/**
 * The file a path names, whatever its spelling: every symbolic link followed (those on
 * the way, a link to a folder, and the last one too, even if it dangles), `..` resolved.
 * Locks and the in-process write order are keyed on it, so that callers naming one file
 * through different links still exclude and order each other.
 */
import { basename, dirname, join } from 'node:path';
import type { Disk } from '../disk/index.js';
import { errorCode } from '../base/errors.js';
import * as io from '../disk/io.js';
import { call, runAsync, runSync, type Dual } from '../disk/dual.js';
import { walkLinks } from './resolve-target.js';

/**
 * The real path `abs` names (it need not exist): one realpath(3) when it does. `missing`
 * (if given) collects the real paths of the components that do not exist (the folders a
 * transaction will have to create). Links at a missing path's end are followed by the
 * one link walker (walkLinks), its hop count carried through the whole resolution.
 */
export function* realish(disk: Disk, abs: string, hops = 0, missing?: Set<string>): Dual<string> {
  try {
    return yield* io.realpath(disk, abs);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
  }
  const parent = dirname(abs);
  if (parent === abs) return abs;
  const candidate = join(yield* realish(disk, parent, hops, missing), basename(abs));
  const end = yield* walkLinks(disk, candidate, hops);
  if (end.path === candidate) {
    missing?.add(candidate);
    return candidate;
  }
  // A (dangling) link: what it leads to may lie in folders that are links themselves.
  return yield* realish(disk, end.path, end.hops, missing);
}

/** Folders' real paths being learnt now, shared by the callers that ask meanwhile. */
const foldersInFlight = new WeakMap<Disk, Map<string, Promise<string>>>();

/**
 * The real path of `resolved`, a path whose own last entry is known not to be a symbolic
 * link (a write's resolved target): its folder's real path and its name. Writers into one
 * folder that ask at the same time (a burst of concurrent writes, each keying its place
 * in line) share one realpath(3) of the folder instead of making one each.
 */
export function* realOfResolved(disk: Disk, resolved: string): Dual<string> {
  const dir = dirname(resolved);
  if (dir === resolved) return resolved;
  try {
    return join(
      yield* call(
        () => runSync(io.realpath(disk, dir)),
        () => sharedRealpath(disk, dir),
      ),
      basename(resolved),
    );
  } catch {
    // A folder that is missing (or was replaced meanwhile): the full walk says what it is.
    return yield* realish(disk, resolved);
  }
}

function sharedRealpath(disk: Disk, dir: string): Promise<string> {
  let inFlight = foldersInFlight.get(disk);
  if (!inFlight) foldersInFlight.set(disk, (inFlight = new Map<string, Promise<string>>()));
  const known = inFlight.get(dir);
  if (known) return known;
  const learning = runAsync(io.realpath(disk, dir));
  const byDisk = inFlight;
  byDisk.set(dir, learning);
  const forget = (): void => void byDisk.delete(dir);
  learning.then(forget, forget);
  return learning;
}

/** The real path of the entry `abs` itself: its folder resolved, a link at the end kept as the link. */
export function* realEntry(disk: Disk, abs: string): Dual<string> {
  const parent = dirname(abs);
  return parent === abs ? abs : join(yield* realish(disk, parent), basename(abs));
}

/** Whether `candidate` (in a real folder) is a symbolic link; a missing one is not. */
export function* isLink(disk: Disk, candidate: string): Dual<boolean> {
  try {
    return (yield* io.lstat(disk, candidate)).isSymbolicLink();
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false;
    throw err;
  }
}
