/** SHA-256 of files, streamed in chunks through the disk seam: memory stays constant. */
import type { Disk } from '../disk/index.js';
import { throwIfAborted } from '../base/abort.js';
import type { RetryOptions } from '../base/retry.js';
import { newHash } from '../base/sha256.js';
import { pathArg, type PathLike } from './check-path.js';
import { checkOptions } from '../base/options-check.js';
import { diskOf, type BaseOptions } from './options.js';
import { readPathChunks } from './read-chunks.js';

/** Hashes the file at `path`; resolves to `{ sha256, bytes }`. Errors name `path` as `op`'s. */
export async function hashFile(
  disk: Disk,
  path: string,
  opts: { op?: string; signal?: AbortSignal | undefined; retry?: RetryOptions | undefined } = {},
): Promise<{ sha256: string; bytes: number }> {
  const hash = newHash();
  let bytes = 0;
  for await (const chunk of readPathChunks(disk, path, {
    op: opts.op ?? 'sha256File',
    path,
    signal: opts.signal,
    retry: opts.retry,
  })) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Resolves to the lowercase hex SHA-256 of the file at `path`. */
export async function sha256File(given: PathLike, opts?: BaseOptions): Promise<string> {
  const op = 'sha256File';
  const path = pathArg(op, given);
  checkOptions(op, op, path, opts);
  throwIfAborted(opts?.signal, op, path);
  return (await hashFile(diskOf(opts), path, { op, signal: opts?.signal, retry: opts?.retry })).sha256;
}
