/** writeFile, atomicWrite and createFile: the public single-file writes, and their synchronous twins. */
import { chunksOf, isData, type Data, type Source } from '../base/source.js';
import { AtomicError, invalidArg, systemCodeOf } from '../base/errors.js';
import { asyncOnly } from '../base/async-only.js';
import { runAsync, runSync, type Dual } from '../disk/dual.js';
import {
  resultOf,
  type HashedOptions,
  type HashedWriteResult,
  type SyncOptions,
  type WriteOptions,
  type WriteResult,
  type Written,
} from './options.js';
import { replaceFile, type ReplaceSpec } from './replace.js';
import { checkOptions } from '../base/options-check.js';
import { pathArg, type PathLike } from './check-path.js';

/**
 * Atomically replaces (or creates) `path` with `source`; durable when it resolves. The
 * result carries the content's `sha256` only with `sha256: true`.
 */
export function writeFile(path: PathLike, source: Source, opts: HashedOptions): Promise<HashedWriteResult>;
export function writeFile(path: PathLike, source: Source, opts?: WriteOptions): Promise<WriteResult>;
export function writeFile(path: PathLike, source: Source, opts?: WriteOptions): Promise<WriteResult> {
  return writeAsync('writeFile', path, source, opts, false);
}

/** writeFile, synchronously (the same protocol, dual.ts): durable when it returns. Content in memory only. */
export function writeFileSync(path: PathLike, data: Data, opts: SyncOptions<HashedOptions>): HashedWriteResult;
export function writeFileSync(path: PathLike, data: Data, opts?: SyncOptions<WriteOptions>): WriteResult;
export function writeFileSync(path: PathLike, data: Data, opts?: SyncOptions<WriteOptions>): WriteResult {
  return writeSync('writeFileSync', path, data, opts, false);
}

/** Like writeFile, but fails with EEXIST if `path` exists, even when processes race. */
export function createFile(path: PathLike, source: Source, opts: HashedOptions): Promise<HashedWriteResult>;
export function createFile(path: PathLike, source: Source, opts?: WriteOptions): Promise<WriteResult>;
export function createFile(path: PathLike, source: Source, opts?: WriteOptions): Promise<WriteResult> {
  return writeAsync('createFile', path, source, opts, true);
}

/** createFile, synchronously. */
export function createFileSync(path: PathLike, data: Data, opts: SyncOptions<HashedOptions>): HashedWriteResult;
export function createFileSync(path: PathLike, data: Data, opts?: SyncOptions<WriteOptions>): WriteResult;
export function createFileSync(path: PathLike, data: Data, opts?: SyncOptions<WriteOptions>): WriteResult {
  return writeSync('createFileSync', path, data, opts, true);
}

// The arguments are checked at the call, then the pipeline runs: one protocol level less on
// every step than a generator that checks and delegates. Past the argument checks, a write
// is the same operation either way: its errors, audit entries and backups name it as such
// (the trace channel tells the two apart).

function writeAsync(
  op: string,
  path: PathLike,
  source: Source,
  opts: WriteOptions | undefined,
  noClobber: boolean,
): Promise<WriteResult> {
  let spec: ReplaceSpec<void>;
  try {
    const p = pathArg(op, path);
    const operation = noClobber ? 'createFile' : 'writeFile';
    checkOptions(operation, op, p, opts, false);
    spec = dataSpec(operation, p, source, opts, noClobber);
  } catch (err) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- our own AtomicError, as thrown
    return Promise.reject(err);
  }
  return runAsync(replaceFile(spec)).then(({ written }) => resultOf(written, opts));
}

function writeSync(
  op: string,
  path: PathLike,
  data: Data,
  opts: WriteOptions | undefined,
  noClobber: boolean,
): WriteResult {
  const p = pathArg(op, path);
  const operation = noClobber ? 'createFile' : 'writeFile';
  checkOptions(operation, op, p, opts, true);
  checkInMemory(op, p, data);
  return resultOf(runSync(replaceFile(dataSpec(operation, p, data, opts, noClobber))).written, opts);
}

/** A synchronous write takes content in memory: a stream can only be read asynchronously. */
export function checkInMemory(op: string, path: string, source: unknown): void {
  if (!isData(source))
    throw invalidArg(
      op,
      path,
      'a synchronous write takes a string or bytes (a stream can only be read asynchronously)',
    );
}

/** writeFile (or createFile, `noClobber`) for callers that checked path and options already. */
export function* writeData(
  op: string,
  path: string,
  source: Source,
  opts: WriteOptions | undefined,
  noClobber = false,
): Dual<Written> {
  return (yield* replaceFile(dataSpec(op, path, source, opts, noClobber))).written;
}

/** The write pipeline's job for `source`: content in memory goes in as one chunk, a stream chunk by chunk. */
function dataSpec(
  op: string,
  path: string,
  source: Source,
  opts: WriteOptions | undefined,
  noClobber: boolean,
): ReplaceSpec<void> {
  if (isData(source)) return { op, path, opts, noClobber, data: source };
  const encoding = opts?.encoding ?? 'utf8';
  return { op, path, opts, noClobber, produce: (put) => produceStream(put, source, encoding, op, path) };
}

// A generator function made per call would give each call's generator objects a shape of
// their own (a fresh prototype per closure), which keeps the code that drives them
// generic; the protocols on the write path are therefore top-level functions.
function* produceStream(
  put: (chunk: Uint8Array) => Dual<void>,
  source: Source,
  encoding: BufferEncoding,
  op: string,
  path: string,
): Dual<void> {
  const chunks = chunksOf(source, op, path, encoding);
  try {
    for (;;) {
      const next = yield* pull(chunks, op, path);
      if (next.done) return;
      yield* put(next.value);
    }
  } catch (err) {
    throw sourceError(err, op, path);
  }
}

/** The next chunk of a stream: only an asynchronous call can wait for one (checkInMemory). */
function pull(chunks: AsyncIterator<Uint8Array>, op: string, path: string): Dual<IteratorResult<Uint8Array>> {
  return asyncOnly(op, path, 'reading a stream', () => chunks.next());
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
  const { result } = await runAsync(
    replaceFile<T>({
      op: 'atomicWrite',
      path: p,
      opts,
      resultHash: false,
      // The caller's function writes when it likes: each of its writes is a protocol of its own.
      produce: (put) =>
        asyncOnly('atomicWrite', p, "the caller's function", async () =>
          fn({
            write: (chunk) => runAsync(put(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk)),
          }),
        ),
    }),
  );
  return result;
}
