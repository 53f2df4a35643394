/** Reading an open file in fixed-size chunks: constant memory whatever its size. */
import type { Disk, DiskFile } from '../disk/index.js';
import * as io from '../disk/io.js';
import { runAsync, type Dual } from '../disk/dual.js';
import { abortError } from '../base/abort.js';
import { fsError } from '../base/errors.js';
import type { RetryOptions } from '../base/retry.js';
import { CHUNK_SIZE } from '../base/sha256.js';
import { closeQuietly, openForRead } from './open-read.js';

export interface ChunkReadOptions {
  op: string;
  /** The caller's path, for error messages. */
  path: string;
  signal?: AbortSignal | undefined;
  /** Offset of the first byte (default 0). */
  start?: number | undefined;
  /** A new buffer per chunk, for consumers that keep chunks (a compressor, say). */
  fresh?: boolean | undefined;
  /** Retries of a transient failure to open (readPathChunks). */
  retry?: RetryOptions | undefined;
}

/** What a chunk reader hands each chunk to: a step of the caller's own protocol, or plain code. */
export type ChunkVisitor = (chunk: Uint8Array) => Dual<void> | void;

/** Where a reader of chunks is in its file. */
interface Cursor {
  buf: Buffer;
  pos: number;
}

function cursorOf(opts: ChunkReadOptions): Cursor {
  return { buf: Buffer.allocUnsafe(CHUNK_SIZE), pos: opts.start ?? 0 };
}

/**
 * The next chunk, or undefined at the end of the file: the one read step behind both
 * readers below. Unless `fresh`, one buffer is reused: a chunk is valid only until the
 * next one is read (copy it to keep it).
 */
function* nextChunk(file: DiskFile, opts: ChunkReadOptions, at: Cursor): Dual<Uint8Array | undefined> {
  if (opts.signal?.aborted) throw abortError(opts.signal, opts.op, opts.path);
  if (opts.fresh && at.pos > (opts.start ?? 0)) at.buf = Buffer.allocUnsafe(CHUNK_SIZE);
  let n: number;
  try {
    n = yield* io.read(file, at.buf, at.pos);
  } catch (err) {
    throw fsError(err, opts.op, opts.path);
  }
  if (n === 0) return undefined;
  at.pos += n;
  return at.buf.subarray(0, n);
}

/** Hands the file's bytes from `start` to its end to `visit`, chunk by chunk (see nextChunk). */
export function* eachChunk(file: DiskFile, opts: ChunkReadOptions, visit: ChunkVisitor): Dual<void> {
  const at = cursorOf(opts);
  for (let chunk = yield* nextChunk(file, opts, at); chunk; chunk = yield* nextChunk(file, opts, at)) {
    const visiting = visit(chunk);
    if (visiting) yield* visiting;
  }
}

/** Opens `path` and hands its chunks to `visit` (see eachChunk); the file is closed however it ends. */
export function* eachPathChunk(disk: Disk, path: string, opts: ChunkReadOptions, visit: ChunkVisitor): Dual<void> {
  const { file } = yield* openForRead(disk, path, opts.op, opts.retry);
  try {
    yield* eachChunk(file, opts, visit);
  } finally {
    yield* closeQuietly(file);
  }
}

/** The file's chunks as an async iterable, for consumers that pull (a stream, a staged copy). */
export async function* readChunks(file: DiskFile, opts: ChunkReadOptions): AsyncGenerator<Uint8Array> {
  const at = cursorOf(opts);
  for (let chunk = await runAsync(nextChunk(file, opts, at)); chunk; chunk = await runAsync(nextChunk(file, opts, at)))
    yield chunk;
}

/** Opens `path` and yields its chunks (see readChunks); the file is closed however the consumer stops. */
export async function* readPathChunks(disk: Disk, path: string, opts: ChunkReadOptions): AsyncGenerator<Uint8Array> {
  const { file } = await runAsync(openForRead(disk, path, opts.op, opts.retry));
  try {
    yield* readChunks(file, opts);
  } finally {
    await runAsync(closeQuietly(file));
  }
}
