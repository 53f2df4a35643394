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
import { openForRead } from './open-read.js';
import { diskOf, type WriteOptions } from './options.js';
import { takeTicket } from './path-order.js';
import { realish } from './real-path.js';
import { readChunks } from './read-chunks.js';
import { replaceFile, type ReplaceSpec } from './replace.js';

const OP = 'copyFile';

/**
 * Replaces (or creates) `dest` with the content of `src`. dest's mode: `opts.mode`, else
 * the replaced dest's, else src's. Copying a file onto itself is refused (EINVAL).
 */
export async function copyFile(source: PathLike, destination: PathLike, opts?: WriteOptions): Promise<void> {
  const src = pathArg(OP, source, 'src');
  const dest = pathArg(OP, destination, 'dest');
  checkOptions(OP, OP, dest, opts);
  const disk = diskOf(opts);
  // Taken at the call, like the dest ticket that replaceFile takes synchronously below:
  // a copy issued after a write to src reads what that write committed.
  const from = resolve(src);
  const srcTicket = takeTicket(disk, from, () => realish(disk, from));
  const spec: ReplaceSpec<void> = {
    op: OP,
    path: dest,
    opts,
    resultHash: false,
    async produce(put) {
      await srcTicket.turn();
      const { file, stat } = await openForRead(disk, src, OP, opts?.retry);
      srcTicket.done();
      try {
        await refuseSameFile(disk, stat, src, dest);
        spec.total = stat.size;
        spec.fallbackMode = stat.mode & 0o7777;
        for await (const chunk of readChunks(file, { op: OP, path: src, signal: opts?.signal })) await put(chunk);
      } finally {
        await file.close().catch(() => undefined);
      }
    },
  };
  try {
    await replaceFile(spec);
  } finally {
    srcTicket.done();
  }
}

/** A copy onto the source itself (same inode, through any link) would only churn it. */
async function refuseSameFile(disk: Disk, srcStat: DiskStat, src: string, dest: string): Promise<void> {
  let destStat: DiskStat;
  try {
    destStat = await disk.stat(resolve(dest));
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
