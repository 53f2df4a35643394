/** writeFile, atomicWrite and createFile: the public single-file writes. */
import { chunksOf, isData, sourceSize, type Source } from '../base/source.js';
import { AtomicError, invalidArg, systemCodeOf } from '../base/errors.js';
import {
  resultOf,
  type HashedOptions,
  type HashedWriteResult,
  type WriteOptions,
  type WriteResult,
  type Written,
} from './options.js';
import { replaceFile } from './replace.js';
import { checkOptions } from '../base/options-check.js';
import { pathArg, type PathLike } from './check-path.js';

/**
 * Atomically replaces (or creates) `path` with `source`; durable when it resolves. The
 * result carries the content's `sha256` only with `sha256: true`.
 */
export function writeFile(path: PathLike, source: Source, opts: HashedOptions): Promise<HashedWriteResult>;
export function writeFile(path: PathLike, source: Source, opts?: WriteOptions): Promise<WriteResult>;
export async function writeFile(path: PathLike, source: Source, opts?: WriteOptions): Promise<WriteResult> {
  const p = pathArg('writeFile', path);
  checkOptions('writeFile', 'writeFile', p, opts);
  return resultOf(await writeData('writeFile', p, source, opts), opts);
}

/** Like writeFile, but fails with EEXIST if `path` exists, even when processes race. */
export function createFile(path: PathLike, source: Source, opts: HashedOptions): Promise<HashedWriteResult>;
export function createFile(path: PathLike, source: Source, opts?: WriteOptions): Promise<WriteResult>;
export async function createFile(path: PathLike, source: Source, opts?: WriteOptions): Promise<WriteResult> {
  const p = pathArg('createFile', path);
  checkOptions('createFile', 'createFile', p, opts);
  return resultOf(await writeData('createFile', p, source, opts, true), opts);
}

/** writeFile (or createFile, `noClobber`) for callers that checked path and options already. */
export async function writeData(
  op: string,
  path: string,
  source: Source,
  opts: WriteOptions | undefined,
  noClobber = false,
): Promise<Written> {
  const encoding = opts?.encoding ?? 'utf8';
  const { written } = await replaceFile({
    op,
    path,
    opts,
    noClobber,
    total: sourceSize(source, encoding),
    rewritable: isData(source),
    async produce(put) {
      // Content in memory is one write, without the async iteration machinery.
      if (isData(source)) return put(typeof source === 'string' ? Buffer.from(source, encoding) : source);
      try {
        for await (const chunk of chunksOf(source, op, path, encoding)) await put(chunk);
      } catch (err) {
        throw sourceError(err, op, path);
      }
    },
  });
  return written;
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
export async function atomicWrite<T>(
  path: PathLike,
  fn: (handle: WriteHandle) => Promise<T> | T,
  opts?: WriteOptions,
): Promise<T> {
  const p = pathArg('atomicWrite', path);
  checkOptions('atomicWrite', 'atomicWrite', p, opts);
  if (typeof fn !== 'function') throw invalidArg('atomicWrite', p, 'fn must be a function');
  const encoding = opts?.encoding ?? 'utf8';
  const { result } = await replaceFile<T>({
    op: 'atomicWrite',
    path: p,
    opts,
    resultHash: false,
    produce: async (put) =>
      fn({ write: (chunk) => put(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk) }),
  });
  return result;
}
