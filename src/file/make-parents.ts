/**
 * `parents: true` (fs-extra's outputFile, mkdir -p): the missing folders above a file are
 * made, and made durable. A folder's entry lives in its parent, so each created folder's
 * parent is synced: without that, a power cut could take the new folder, and the file
 * the caller was told is durable, along with it.
 */
import { dirname } from 'node:path';
import type { Disk } from '../disk/index.js';
import { errorCode, fsError } from '../base/errors.js';
import { syncDirectories } from './dir-sync.js';
import * as io from '../disk/io.js';
import type { Dual } from '../disk/dual.js';

/** Makes `dir` and its missing ancestors; resolves to the folders created, outermost first. */
function* makeDirs(disk: Disk, dir: string, created: string[]): Dual<void> {
  try {
    yield* io.mkdir(disk, dir, 0o777);
    created.push(dir);
    return;
  } catch (err) {
    const code = errorCode(err);
    if (code === 'EEXIST') return; // made meanwhile by someone else: theirs to sync
    if (code !== 'ENOENT' || dirname(dir) === dir) throw err;
  }
  yield* makeDirs(disk, dirname(dir), created);
  try {
    yield* io.mkdir(disk, dir, 0o777);
    created.push(dir);
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
  }
}

/** Creates the missing folders down to `dir`, durably; errors name `path` as `op`'s. */
export function* makeParents(disk: Disk, dir: string, op: string, path: string): Dual<void> {
  const created: string[] = [];
  try {
    yield* makeDirs(disk, dir, created);
    yield* syncDirectories(
      disk,
      created.map((d) => dirname(d)),
    );
  } catch (err) {
    throw fsError(err, op, path, `could not create its parent folders (${errorCode(err) ?? String(err)}) at ${dir}`);
  }
}
