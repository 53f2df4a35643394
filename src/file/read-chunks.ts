/** Reading an open file in fixed-size chunks: constant memory whatever its size. */
import type { Disk, DiskFile } from '../disk/index.js';
import { abortError } from '../base/abort.js';
import { fsError } from '../base/errors.js';
import type { RetryOptions } from '../base/retry.js';
import { CHUNK_SIZE } from '../base/sha256.js';
import { openForRead } from './open-read.js';

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

/**
 * Yields the file's bytes from `start` to its end. Unless `fresh`, one buffer is reused:
 * each chunk is valid only until the consumer asks for the next one (copy it to keep it).
 */
export async function* readChunks(file: DiskFile, opts: ChunkReadOptions): AsyncGenerator<Uint8Array> {
  let buf = Buffer.allocUnsafe(CHUNK_SIZE);
  let pos = opts.start ?? 0;
  for (;;) {
    if (opts.signal?.aborted) throw abortError(opts.signal, opts.op, opts.path);
    if (opts.fresh && pos > (opts.start ?? 0)) buf = Buffer.allocUnsafe(CHUNK_SIZE);
    let n: number;
    try {
      n = await file.read(buf, pos);
    } catch (err) {
      throw fsError(err, opts.op, opts.path);
    }
    if (n === 0) return;
    pos += n;
    yield buf.subarray(0, n);
  }
}

/** Opens `path` and yields its chunks (see readChunks); the file is closed however the consumer stops. */
export async function* readPathChunks(disk: Disk, path: string, opts: ChunkReadOptions): AsyncGenerator<Uint8Array> {
  const { file } = await openForRead(disk, path, opts.op, opts.retry);
  try {
    yield* readChunks(file, opts);
  } finally {
    await file.close().catch(() => undefined);
  }
}
