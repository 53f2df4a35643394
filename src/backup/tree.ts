/** Folder and file helpers for the backup store, all through the disk seam. */
import { dirname, join } from 'node:path';
import { syncFlags, type Disk } from '../disk/index.js';
import * as io from '../disk/io.js';
import type { Dual } from '../disk/dual.js';
import { errorCode } from '../base/errors.js';
import { eachPathChunk } from '../file/read-chunks.js';

/** Creates `dir` and missing parents; the folders it created (parents first). */
export function* makeDirs(disk: Disk, dir: string): Dual<string[]> {
  try {
    yield* io.mkdir(disk, dir);
    return [dir];
  } catch (err) {
    const code = errorCode(err);
    if (code === 'EEXIST') return [];
    if (code !== 'ENOENT' || dirname(dir) === dir) throw err;
  }
  const made = yield* makeDirs(disk, dirname(dir));
  try {
    yield* io.mkdir(disk, dir);
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
    return made;
  }
  return [...made, dir];
}

/** Runs `step`; a missing entry (gone already) is fine. */
function* unlessMissing(step: Dual<void>): Dual<void> {
  try {
    yield* step;
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
  }
}

/** Removes `path` and everything under it; a missing path is fine. */
export function* removeTree(disk: Disk, path: string): Dual<void> {
  let isDir: boolean;
  try {
    isDir = (yield* io.lstat(disk, path)).isDirectory();
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return;
    throw err;
  }
  if (!isDir) return yield* unlessMissing(io.unlink(disk, path));
  for (const name of yield* io.readdir(disk, path)) yield* removeTree(disk, join(path, name));
  yield* unlessMissing(io.rmdir(disk, path));
}

/** Copies `from` to a new file `to` (exclusive create), synced, with `mode`. */
export function* copyInto(disk: Disk, from: string, to: string, mode: number): Dual<void> {
  const out = yield* io.open(disk, to, 'wx', 0o600);
  try {
    yield* eachPathChunk(disk, from, { op: 'backup', path: from }, (chunk) => io.write(out, chunk));
    yield* io.fchmod(out, mode);
    // The copy is the only way back once the original is replaced: its data must be on
    // disk before the manifest (written after) can declare the backup complete.
    yield* io.fsync(out);
  } finally {
    yield* io.close(out);
  }
}

/** fsync of a file by path (on a read-only descriptor where the platform allows it). */
export function* syncFile(disk: Disk, path: string): Dual<void> {
  const file = yield* io.open(disk, path, syncFlags(disk.capabilities));
  try {
    yield* io.fsync(file);
  } finally {
    yield* io.close(file);
  }
}
