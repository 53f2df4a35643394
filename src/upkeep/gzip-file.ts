/** Gzip compression of a file into a new file, atomically, in constant memory. */
import { Readable, pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Disk } from '../disk/index.js';
import { writeFile } from '../file/write-file.js';
import { CHUNK_SIZE } from '../base/sha256.js';

async function* fileChunks(disk: Disk, path: string): AsyncGenerator<Uint8Array> {
  const file = await disk.open(path, 'r');
  try {
    for (let pos = 0; ; ) {
      // A fresh buffer per chunk: gzip may still hold the previous one.
      const buf = Buffer.allocUnsafe(CHUNK_SIZE);
      const n = await file.read(buf, pos);
      if (n === 0) return;
      pos += n;
      yield buf.subarray(0, n);
    }
  } finally {
    await file.close();
  }
}

/**
 * Writes `from` gzipped to `to` with writeFile: `to` appears complete or not at all,
 * synced, with mode `mode`. A failure on either side destroys the whole pipeline, and
 * writeFile then sees the error and removes its temporary file.
 */
export async function gzipFile(disk: Disk, from: string, to: string, mode: number): Promise<void> {
  const gz = pipeline(Readable.from(fileChunks(disk, from)), createGzip(), () => {
    // Errors reach the consumer through the destroyed gzip stream.
  });
  await writeFile(to, gz, { disk, mode });
}
