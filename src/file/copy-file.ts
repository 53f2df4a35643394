/**
 * copyFile: streams the source, chunk by chunk through the disk seam (constant memory),
 * into the same replace pipeline as writeFile: dest is replaced atomically and durably,
 * with progress (the total is known), verify, backup and audit.
 */
import { resolve } from 'node:path';
import type { Disk, DiskStat } from '../disk/index.js';
import { AtomicError, errorCode, fsError } from '../base/errors.js';
import { pathArg, type PathLike } from './check-path.js';
import { checkOptions } from '../base/options-check.js';
import { closeQuietly, openForRead } from './open-read.js';
import { diskOf, type SyncOptions, type WriteOptions } from './options.js';
import * as io from '../disk/io.js';
import { runAsync, runSync, type Dual } from '../disk/dual.js';
import { takeTicket } from './path-order.js';
import { eachChunk } from './read-chunks.js';
import { replaceFile, type ReplaceSpec } from './replace.js';

const OP = 'copyFile';

/**
 * Replaces (or creates) `dest` with the content of `src`. dest's mode: `opts.mode`, else
 * the replaced dest's, else src's. Copying a file onto itself is refused (EINVAL).
 */
export function copyFile(source: PathLike, destination: PathLike, opts?: WriteOptions): Promise<void> {
  return runAsync(copy(OP, source, destination, opts));
}

/** copyFile, synchronously (the same protocol, dual.ts). */
export function copyFileSync(source: PathLike, destination: PathLike, opts?: SyncOptions<WriteOptions>): void {
  runSync(copy(`${OP}Sync`, source, destination, opts));
}

function* copy(call: string, source: PathLike, destination: PathLike, opts: WriteOptions | undefined): Dual<void> {
  const src = pathArg(call, source, 'src');
  const dest = pathArg(call, destination, 'dest');
  checkOptions(OP, call, dest, opts, call.endsWith('Sync'));
  const disk = diskOf(opts);
  // Taken at the call, like the dest ticket that replaceFile takes synchronously below:
  // a copy issued after a write to src reads what that write committed.
  const from = resolve(src);
  const srcTicket = takeTicket(disk, from);
  const spec: ReplaceSpec<void> = {
    op: OP,
    path: dest,
    opts,
    resultHash: false,
    *produce(put) {
      yield* srcTicket.turn();
      const { file, stat } = yield* openForRead(disk, src, OP, opts?.retry);
      srcTicket.done();
      try {
        yield* refuseSameFile(disk, stat, src, dest);
        spec.total = stat.size;
        spec.fallbackMode = stat.mode & 0o7777;
        yield* eachChunk(file, { op: OP, path: src, signal: opts?.signal }, put);
      } finally {
        yield* closeQuietly(file);
      }
    },
  };
  try {
    yield* replaceFile(spec);
  } finally {
    srcTicket.done();
  }
}

/** A copy onto the source itself (same inode, through any link) would only churn it. */
function* refuseSameFile(disk: Disk, srcStat: DiskStat, src: string, dest: string): Dual<void> {
  let destStat: DiskStat;
  try {
    destStat = yield* io.stat(disk, resolve(dest));
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return;
    throw fsError(err, OP, dest);
  }
  if (destStat.dev === srcStat.dev && destStat.ino === srcStat.ino) {
    throw new AtomicError('EINVAL', `${OP} ${src} -> ${dest}: source and destination are the same file`, {
      path: dest,
    });
  }
}
