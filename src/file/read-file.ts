/**
 * readFile: the whole content of a file, through the disk seam. Writers replace files
 * by rename, so one open descriptor sees one complete version: never a partial write.
 */
import { throwIfAborted } from '../base/abort.js';
import type { Disk, DiskFile, DiskStat } from '../disk/index.js';
import type { RetryOptions } from '../base/retry.js';
import { fsError } from '../base/errors.js';
import { checkOptions } from '../base/options-check.js';
import { diskOf, type BaseOptions, type SyncOptions } from './options.js';
import { closeQuietly, openForRead } from './open-read.js';
import { eachChunk } from './read-chunks.js';
import * as io from '../disk/io.js';
import { fork, join, runAsync, runSync, type Dual } from '../disk/dual.js';
import { pathArg, type PathLike } from './check-path.js';

export interface ReadFileOptions extends BaseOptions {
  /** Decode the content to a string with this encoding; a Buffer without it. */
  encoding?: BufferEncoding | undefined;
}

export function readFile(path: PathLike, opts: ReadFileOptions & { encoding: BufferEncoding }): Promise<string>;
export function readFile(path: PathLike, opts?: ReadFileOptions & { encoding?: undefined }): Promise<Buffer>;
export function readFile(path: PathLike, opts?: ReadFileOptions): Promise<Buffer | string>;
export function readFile(path: PathLike, opts?: ReadFileOptions): Promise<Buffer | string> {
  return runAsync(readFileDual('readFile', path, opts));
}

/** readFile, synchronously: the same protocol (dual.ts). */
export function readFileSync(path: PathLike, opts: SyncOptions<ReadFileOptions> & { encoding: BufferEncoding }): string;
export function readFileSync(path: PathLike, opts?: SyncOptions<ReadFileOptions> & { encoding?: undefined }): Buffer;
export function readFileSync(path: PathLike, opts?: SyncOptions<ReadFileOptions>): Buffer | string;
export function readFileSync(path: PathLike, opts?: SyncOptions<ReadFileOptions>): Buffer | string {
  return runSync(readFileDual('readFileSync', path, opts));
}

function* readFileDual(call: string, path: PathLike, opts: ReadFileOptions | undefined): Dual<Buffer | string> {
  const p = pathArg(call, path);
  checkOptions('readFile', call, p, opts, call.endsWith('Sync'));
  return yield* readData(p, opts);
}

/** readFile for callers that checked path and options already. */
export function* readData(path: string, opts: ReadFileOptions | undefined): Dual<Buffer | string> {
  const op = 'readFile';
  const encoding = opts?.encoding;
  throwIfAborted(opts?.signal, op, path);
  const data = yield* readWhole(diskOf(opts), path, op, opts);
  return encoding === undefined ? data : data.toString(encoding);
}

/**
 * The whole content of the file at `path`, as one version of it (see above): the one
 * reader of whole files, for readFile and for the library's own files (journals, lists).
 * Errors name `path` as `op`'s.
 */
export function* readWhole(
  disk: Disk,
  path: string,
  op: string,
  opts?: { retry?: RetryOptions | undefined; signal?: AbortSignal | undefined },
): Dual<Buffer> {
  const { file, stat } = yield* openForRead(disk, path, op, opts?.retry);
  try {
    return yield* readAll(file, stat.size, op, path, opts?.signal);
  } finally {
    yield* closeQuietly(file);
  }
}

/** Reads into one buffer of the size stat reported, then whatever was appended since. */
function* readAll(
  file: DiskFile,
  size: number,
  op: string,
  path: string,
  signal: AbortSignal | undefined,
): Dual<Buffer> {
  const head = Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    throwIfAborted(signal, op, path);
    let n: number;
    try {
      n = yield* io.read(file, head.subarray(filled), filled);
    } catch (err) {
      throw fsError(err, op, path);
    }
    if (n === 0) return head.subarray(0, filled);
    filled += n;
  }
  const tail: Buffer[] = [];
  // Chunks share one buffer: copy each before reading the next.
  yield* eachChunk(file, { op, path, signal, start: size }, (chunk) => void tail.push(Buffer.from(chunk)));
  return tail.length === 0 ? head : Buffer.concat([head, ...tail]);
}

/**
 * The first `max` bytes (at most) of the file at `path`, one read: the bounded form of
 * readWhole, for small records read often (a lock's), where the file may be replaced at
 * any moment and a torn or oversized one is the caller's to judge. With `withStat`, the
 * open file's stat too (it describes the very file read), overlapping the read when
 * driven asynchronously. Errors are the disk's own: a missing file is ENOENT, a folder
 * EISDIR (at the read).
 */
export function* readHead(
  disk: Disk,
  path: string,
  max: number,
  withStat: boolean,
): Dual<{ data: Buffer; stat: DiskStat | undefined }> {
  const file = yield* io.open(disk, path, 'r');
  try {
    const buf = Buffer.alloc(max);
    const reading = yield* fork(io.read(file, buf, 0));
    const stat = withStat ? yield* io.fstat(file) : undefined;
    const n = yield* join(reading);
    return { data: buf.subarray(0, n), stat };
  } finally {
    yield* closeQuietly(file);
  }
}
