/** writeFile, atomicWrite and createFile: the public single-file writes. */
import { chunksOf, sourceSize, type Source } from '../base/source.js';
import { invalidArg } from '../base/errors.js';
import type { WriteOptions, WriteResult } from './options.js';
import { replaceFile } from './replace.js';

/** Atomically replaces (or creates) `path` with `source`; durable when it resolves. */
export async function writeFile(path: string, source: Source, opts?: WriteOptions): Promise<WriteResult> {
  return (await write('writeFile', path, source, opts, false)).written;
}

/** Like writeFile, but fails with EEXIST if `path` exists, even when processes race. */
export async function createFile(path: string, source: Source, opts?: WriteOptions): Promise<WriteResult> {
  return (await write('createFile', path, source, opts, true)).written;
}

function write(op: string, path: string, source: Source, opts: WriteOptions | undefined, noClobber: boolean) {
  return replaceFile({
    op,
    path,
    opts,
    noClobber,
    total: sourceSize(source),
    async produce(put) {
      for await (const chunk of chunksOf(source, op, path)) await put(chunk);
    },
  });
}

export interface WriteHandle {
  /** Appends a chunk to the new content. */
  write(chunk: Uint8Array | string): Promise<void>;
}

/**
 * `fn(handle)` writes the new content through `handle.write`; the target is replaced
 * only if `fn` resolves, and then with everything it wrote. Resolves to `fn`'s result.
 */
export async function atomicWrite<T>(path: string, fn: (handle: WriteHandle) => Promise<T> | T, opts?: WriteOptions): Promise<T> {
  if (typeof fn !== 'function') throw invalidArg('atomicWrite', path, 'fn must be a function');
  const { result } = await replaceFile<T>({
    op: 'atomicWrite',
    path,
    opts,
    produce: async (put) => fn({ write: (chunk) => put(typeof chunk === 'string' ? Buffer.from(chunk) : chunk) }),
  });
  return result;
}
