/** Reading an open file in fixed-size chunks: constant memory whatever its size. */
import type { DiskFile } from '../disk/index.js';
import { abortError } from '../base/abort.js';
import { fsError } from '../base/errors.js';
import { CHUNK_SIZE } from '../base/sha256.js';

export interface ChunkReadOptions {
  op: string;
  /** The caller's path, for error messages. */
  path: string;
  signal?: AbortSignal | undefined;
  /** Offset of the first byte (default 0). */
  start?: number | undefined;
}

/**
 * Yields the file's bytes from `start` to its end. One buffer is reused: each chunk is
 * valid only until the consumer asks for the next one (copy it to keep it).
 */
export async function* readChunks(file: DiskFile, opts: ChunkReadOptions): AsyncGenerator<Uint8Array> {
  const buf = Buffer.allocUnsafe(CHUNK_SIZE);
  let pos = opts.start ?? 0;
  for (;;) {
    if (opts.signal?.aborted) throw abortError(opts.signal, opts.op, opts.path);
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
