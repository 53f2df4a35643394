/** Folder and file helpers for the backup store, all through the disk seam. */
import { dirname, join } from 'node:path';
import type { Disk } from '../disk/index.js';
import { errorCode } from '../base/errors.js';
import { CHUNK_SIZE } from '../base/sha256.js';

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

export async function readText(disk: Disk, path: string): Promise<string> {
  const file = await disk.open(path, 'r');
  try {
    const parts: Buffer[] = [];
    for (let pos = 0; ; ) {
      const buf = Buffer.allocUnsafe(CHUNK_SIZE);
      const n = await file.read(buf, pos);
      if (n === 0) break;
      parts.push(buf.subarray(0, n));
      pos += n;
    }
    return Buffer.concat(parts).toString('utf8');
  } finally {
    await file.close();
  }
}

/** The file's bytes in chunks, read through the disk seam (constant memory). */
export async function* chunksOfFile(disk: Disk, path: string): AsyncGenerator<Uint8Array> {
  const file = await disk.open(path, 'r');
  try {
    for (let pos = 0; ; ) {
      const buf = Buffer.allocUnsafe(CHUNK_SIZE);
      const n = await file.read(buf, pos);
      if (n === 0) return;
      pos += n;
      yield buf.subarray(0, n);
    }
  } finally {
    await file.close();
  }
}

/** Copies `from` to a new file `to` (exclusive create), synced, with `mode`. */
export async function copyInto(disk: Disk, from: string, to: string, mode: number): Promise<void> {
  const out = await disk.open(to, 'wx', 0o600);
  try {
    for await (const chunk of chunksOfFile(disk, from)) await out.write(chunk);
    await out.chmod(mode);
    // The copy is the only way back once the original is replaced: its data must be on
    // disk before the manifest (written after) can declare the backup complete.
    await out.sync();
  } finally {
    await out.close();
  }
}

/** fsync of a file by path (works on a read-only descriptor on Linux and macOS). */
export async function syncFile(disk: Disk, path: string): Promise<void> {
  const file = await disk.open(path, 'r');
  try {
    await file.sync();
  } finally {
    await file.close();
  }
}
