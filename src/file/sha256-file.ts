/** sha256File: the SHA-256 of a file, streamed in chunks through the disk seam. */
import { throwIfAborted } from '../base/abort.js';
import { checkPath } from './check-path.js';
import { newHash } from '../base/sha256.js';
import { diskOf, type BaseOptions } from './options.js';
import { openForRead } from './open-read.js';
import { readChunks } from './read-chunks.js';

/** Resolves to the lowercase hex SHA-256 of the file at `path`; memory stays constant. */
export async function sha256File(path: string, opts?: BaseOptions): Promise<string> {
  const op = 'sha256File';
  checkPath(op, path);
  throwIfAborted(opts?.signal, op, path);
  const { file } = await openForRead(diskOf(opts), path, op, opts?.retry);
  try {
    const hash = newHash();
    for await (const chunk of readChunks(file, { op, path, signal: opts?.signal })) hash.update(chunk);
    return hash.digest('hex');
  } finally {
    await file.close().catch(() => undefined);
  }
}
