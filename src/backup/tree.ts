/** Folder and file helpers for the backup store, all through the disk seam. */
import { dirname, join } from 'node:path';
import { syncFlags, type Disk } from '../disk/index.js';
import { errorCode } from '../base/errors.js';
import { readPathChunks } from '../file/read-chunks.js';

/** Creates `dir` and missing parents; resolves to the folders it created (parents first). */
export async function makeDirs(disk: Disk, dir: string): Promise<string[]> {
  try {
    await disk.mkdir(dir);
    return [dir];
  } catch (err) {
    const code = errorCode(err);
    if (code === 'EEXIST') return [];
    if (code !== 'ENOENT' || dirname(dir) === dir) throw err;
  }
  const made = await makeDirs(disk, dirname(dir));
  try {
    await disk.mkdir(dir);
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
    return made;
  }
  return [...made, dir];
}

/** Removes `path` and everything under it; a missing path is fine. */
export async function removeTree(disk: Disk, path: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await disk.lstat(path)).isDirectory();
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return;
    throw err;
  }
  if (!isDir) {
    await disk.unlink(path).catch((err: unknown) => {
      if (errorCode(err) !== 'ENOENT') throw err;
    });
    return;
  }
  for (const name of await disk.readdir(path)) await removeTree(disk, join(path, name));
  await disk.rmdir(path).catch((err: unknown) => {
    if (errorCode(err) !== 'ENOENT') throw err;
  });
}

/** Copies `from` to a new file `to` (exclusive create), synced, with `mode`. */
export async function copyInto(disk: Disk, from: string, to: string, mode: number): Promise<void> {
  const out = await disk.open(to, 'wx', 0o600);
  try {
    for await (const chunk of readPathChunks(disk, from, { op: 'backup', path: from })) await out.write(chunk);
    await out.chmod(mode);
    // The copy is the only way back once the original is replaced: its data must be on
    // disk before the manifest (written after) can declare the backup complete.
    await out.sync();
  } finally {
    await out.close();
  }
}

/** fsync of a file by path (on a read-only descriptor where the platform allows it). */
export async function syncFile(disk: Disk, path: string): Promise<void> {
  const file = await disk.open(path, syncFlags(disk.capabilities));
  try {
    await file.sync();
  } finally {
    await file.close();
  }
}
