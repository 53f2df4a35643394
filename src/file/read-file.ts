/**
 * readFile: the whole content of a file, through the disk seam. Writers replace files
 * by rename, so one open descriptor sees one complete version: never a partial write.
 */
import { throwIfAborted } from '../base/abort.js';
import type { Disk, DiskFile } from '../disk/index.js';
import type { RetryOptions } from '../base/retry.js';
import { fsError } from '../base/errors.js';
import { checkOptions } from '../base/options-check.js';
import { diskOf, type BaseOptions } from './options.js';
import { openForRead } from './open-read.js';
import { readChunks } from './read-chunks.js';
import { pathArg, type PathLike } from './check-path.js';

export interface ReadFileOptions extends BaseOptions {
  /** Decode the content to a string with this encoding; a Buffer without it. */
  encoding?: BufferEncoding | undefined;
}

export function readFile(path: PathLike, opts: ReadFileOptions & { encoding: BufferEncoding }): Promise<string>;
export function readFile(path: PathLike, opts?: ReadFileOptions & { encoding?: undefined }): Promise<Buffer>;
export function readFile(path: PathLike, opts?: ReadFileOptions): Promise<Buffer | string>;
export async function readFile(path: PathLike, opts?: ReadFileOptions): Promise<Buffer | string> {
  const p = pathArg('readFile', path);
  checkOptions('readFile', 'readFile', p, opts);
  return readData(p, opts);
}

/** readFile for callers that checked path and options already. */
export async function readData(path: string, opts: ReadFileOptions | undefined): Promise<Buffer | string> {
  const op = 'readFile';
  const encoding = opts?.encoding;
  throwIfAborted(opts?.signal, op, path);
  const data = await readWhole(diskOf(opts), path, op, opts);
  return encoding === undefined ? data : data.toString(encoding);
}

/**
 * The whole content of the file at `path`, as one version of it (see above): the one
 * reader of whole files, for readFile and for the library's own files (journals, lists).
 * Errors name `path` as `op`'s.
 */
export async function readWhole(
  disk: Disk,
  path: string,
  op: string,
  opts?: { retry?: RetryOptions | undefined; signal?: AbortSignal | undefined },
): Promise<Buffer> {
  const { file, stat } = await openForRead(disk, path, op, opts?.retry);
  try {
    return await readAll(file, stat.size, op, path, opts?.signal);
  } finally {
    await file.close().catch(() => undefined);
  }
}

/** Reads into one buffer of the size stat reported, then whatever was appended since. */
async function readAll(
  file: DiskFile,
  size: number,
  op: string,
  path: string,
  signal: AbortSignal | undefined,
): Promise<Buffer> {
  const head = Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    throwIfAborted(signal, op, path);
    const n = await file.read(head.subarray(filled), filled).catch((err: unknown) => {
      throw fsError(err, op, path);
    });
    if (n === 0) return head.subarray(0, filled);
    filled += n;
  }
  const tail: Buffer[] = [];
  // Chunks share one buffer: copy each before reading the next.
  for await (const chunk of readChunks(file, { op, path, signal, start: size })) tail.push(Buffer.from(chunk));
  return tail.length === 0 ? head : Buffer.concat([head, ...tail]);
}
