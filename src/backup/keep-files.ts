/**
 * Keeping files in a backup folder. By hard link where the file system allows (no copy of
 * the data): that is safe because atomicfs never changes a file in place, it renames a new
 * file over the old name, so the linked inode keeps the old content. Writers that edit in
 * place would change the kept copy too; `hardLinks: false` copies instead. Every kept file
 * and folder is durable when `keepFiles` resolves, so the manifest can follow.
 */
import { dirname, join, resolve } from 'node:path';
import type { Disk, DiskStat } from '../disk/index.js';
import { errorCode, fsError } from '../base/errors.js';
import { hashFile } from '../file/sha256-file.js';
import { syncDirectories } from '../file/dir-sync.js';
import type { BackupFile } from './manifest.js';
import { storedPathFor } from './stored-path.js';
import { copyInto, makeDirs, syncFile } from './tree.js';
import * as io from '../disk/io.js';
import { all, type Dual } from '../disk/dual.js';

// link(2) is refused on these file systems or across devices: fall back to a copy.
const NO_LINK = new Set(['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EACCES']);
// Files kept at once (each costs a sync).
const PARALLEL = 8;

export interface Found {
  /** The absolute path named (kept as the path to restore to). */
  path: string;
  /** The file it is, symbolic links followed. */
  real: string;
  stat: DiskStat;
}

/** The regular files among `paths` (absolute, deduplicated); missing ones are skipped. */
export function* existingFiles(disk: Disk, paths: readonly string[]): Dual<Found[]> {
  const out: Found[] = [];
  const seen = new Set<string>();
  for (const p of paths) {
    const path = resolve(p);
    if (seen.has(path)) continue;
    seen.add(path);
    try {
      const stat = yield* io.stat(disk, path);
      if (!stat.isFile()) continue;
      // A symbolic link is kept as the content it points to, and restored through it.
      out.push({ path, real: yield* io.realpath(disk, path), stat });
    } catch (err) {
      if (errorCode(err) === 'ENOENT') continue;
      throw fsError(err, 'backup', path);
    }
  }
  return out;
}

function* keepOne(disk: Disk, f: Found, dest: string, hardLinks: boolean): Dual<{ sha256: string; bytes: number }> {
  let linked = false;
  if (hardLinks && disk.capabilities.hardLinks) {
    try {
      yield* io.link(disk, f.real, dest);
      linked = true;
    } catch (err) {
      if (!NO_LINK.has(errorCode(err) ?? '')) throw err;
    }
  }
  if (linked) {
    // The original may have been written without fsync: make its data durable now,
    // since the backup will be declared complete and the original replaced.
    yield* syncFile(disk, dest);
  } else {
    yield* copyInto(disk, f.real, dest, f.stat.mode & 0o7777);
  }
  return yield* hashFile(disk, dest);
}

/**
 * Keeps `found` in backup folder `folder` (inside store `store`), under their paths
 * relative to `root`; resolves to the manifest's file entries, in the order given.
 */
export function* keepFiles(
  disk: Disk,
  store: string,
  folder: string,
  found: Found[],
  opts: { root: string | undefined; hardLinks: boolean },
): Dual<BackupFile[]> {
  // The backup folder's own entry lives in the store folder.
  const dirs = new Set<string>([store, folder]);
  const used = new Set<string>();
  const plan: { f: Found; stored: string; dest: string }[] = [];
  for (const f of found) {
    const base = storedPathFor(f.path, opts.root === undefined ? undefined : resolve(opts.root));
    let stored = base;
    for (let n = 2; used.has(stored); n++) stored = `${base}~${n}`;
    used.add(stored);
    const dest = join(folder, stored);
    for (const made of yield* makeDirs(disk, dirname(dest))) dirs.add(dirname(made)).add(made);
    dirs.add(dirname(dest));
    plan.push({ f, stored, dest });
  }
  const files = new Array<BackupFile>(plan.length);
  let next = 0;
  // Driven asynchronously, PARALLEL workers share the plan; synchronously, one does it all.
  const worker = function* (): Dual<void> {
    for (let i = next++; i < plan.length; i = next++) {
      const { f, stored, dest } = plan[i]!;
      const { sha256, bytes } = yield* keepOne(disk, f, dest, opts.hardLinks);
      files[i] = { path: f.path, stored, size: bytes, mode: f.stat.mode & 0o7777, sha256 };
    }
  };
  yield* all(Array.from({ length: Math.min(PARALLEL, plan.length) }, worker));
  // The kept files' names and the folders holding them must be durable before the
  // manifest (written next) declares the backup complete: one parallel round of syncs.
  yield* syncDirectories(disk, dirs);
  return files;
}
