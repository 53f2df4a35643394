/** SHA-256 of files, streamed in chunks through the disk seam: memory stays constant. */
import type { Disk } from '../disk/index.js';
import { runAsync, runSync, type Dual } from '../disk/dual.js';
import { throwIfAborted } from '../base/abort.js';
import type { RetryOptions } from '../base/retry.js';
import { newHash } from '../base/sha256.js';
import { pathArg, type PathLike } from './check-path.js';
import { checkOptions } from '../base/options-check.js';
import { diskOf, type BaseOptions, type SyncOptions } from './options.js';
import { eachPathChunk } from './read-chunks.js';

/** Hashes the file at `path`: `{ sha256, bytes }`. Errors name `path` as `op`'s. */
export function* hashFile(
  disk: Disk,
  path: string,
  opts: { op?: string; signal?: AbortSignal | undefined; retry?: RetryOptions | undefined } = {},
): Dual<{ sha256: string; bytes: number }> {
  const hash = newHash();
  let bytes = 0;
  const chunkOpts = { op: opts.op ?? 'sha256File', path, signal: opts.signal, retry: opts.retry };
  yield* eachPathChunk(disk, path, chunkOpts, (chunk) => {
    hash.update(chunk);
    bytes += chunk.byteLength;
  });
  return { sha256: hash.digest('hex'), bytes };
}

/** Resolves to the lowercase hex SHA-256 of the file at `path`. */
export function sha256File(given: PathLike, opts?: BaseOptions): Promise<string> {
  return runAsync(sha256Of('sha256File', given, opts));
}

/** sha256File, synchronously: the same protocol (dual.ts). */
export function sha256FileSync(given: PathLike, opts?: SyncOptions<BaseOptions>): string {
  return runSync(sha256Of('sha256FileSync', given, opts));
}

function* sha256Of(op: string, given: PathLike, opts: BaseOptions | undefined): Dual<string> {
  const path = pathArg(op, given);
  checkOptions('sha256File', op, path, opts, op.endsWith('Sync'));
  throwIfAborted(opts?.signal, op, path);
  return (yield* hashFile(diskOf(opts), path, { op, signal: opts?.signal, retry: opts?.retry })).sha256;
}
