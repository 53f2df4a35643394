/** writeFile, atomicWrite and createFile: the public single-file writes. */
import { chunksOf, isData, sourceSize, type Source } from '../base/source.js';
import { AtomicError, invalidArg, systemCodeOf } from '../base/errors.js';
import { resultOf, type HashedOptions, type HashedWriteResult, type WriteOptions, type WriteResult } from './options.js';
import { replaceFile } from './replace.js';

/**
 * Atomically replaces (or creates) `path` with `source`; durable when it resolves. The
 * result carries the content's `sha256` only with `sha256: true`.
 */
export function writeFile(path: string, source: Source, opts: HashedOptions): Promise<HashedWriteResult>;
export function writeFile(path: string, source: Source, opts?: WriteOptions): Promise<WriteResult>;
export async function writeFile(path: string, source: Source, opts?: WriteOptions): Promise<WriteResult> {
  return resultOf((await write('writeFile', path, source, opts, false)).written, opts);
}

/** Like writeFile, but fails with EEXIST if `path` exists, even when processes race. */
export function createFile(path: string, source: Source, opts: HashedOptions): Promise<HashedWriteResult>;
export function createFile(path: string, source: Source, opts?: WriteOptions): Promise<WriteResult>;
export async function createFile(path: string, source: Source, opts?: WriteOptions): Promise<WriteResult> {
  return resultOf((await write('createFile', path, source, opts, true)).written, opts);
}

function write(op: string, path: string, source: Source, opts: WriteOptions | undefined, noClobber: boolean) {
  return replaceFile({
    op,
    path,
    opts,
    noClobber,
    total: sourceSize(source),
    rewritable: isData(source),
    async produce(put) {
      // Content in memory is one write, without the async iteration machinery.
      if (isData(source)) return put(typeof source === 'string' ? Buffer.from(source) : source);
      try {
        for await (const chunk of chunksOf(source, op, path)) await put(chunk);
      } catch (err) {
        throw sourceError(err, op, path);
      }
    },
  });
}

/**
 * A source stream that fails half-way (a dropped connection, a read error) surfaces
 * with a message naming the path being written and its code kept; the stream's own
 * error stays as `cause`. Our own failures (AtomicErrors) pass through unchanged.
 */
function sourceError(err: unknown, op: string, path: string): unknown {
  if (err instanceof AtomicError) return err;
  const code = systemCodeOf(err) ?? 'ESOURCE';
  const message = err instanceof Error ? err.message : String(err);
  return new AtomicError(code, `${op} ${path}: the source failed: ${message}`, { path, cause: err });
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
    resultHash: false,
    produce: async (put) => fn({ write: (chunk) => put(typeof chunk === 'string' ? Buffer.from(chunk) : chunk) }),
  });
  return result;
}
