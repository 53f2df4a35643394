/** SHA-256 helpers: integrity checks read through the disk seam, in chunks. */
import { createHash, type Hash } from 'node:crypto';
import type { Disk } from '../disk/index.js';

export const CHUNK_SIZE = 1 << 20;

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function newHash(): Hash {
  return createHash('sha256');
}

/** Streams the file at `path` through SHA-256; resolves to `{ sha256, bytes }`. */
export async function hashFile(disk: Disk, path: string): Promise<{ sha256: string; bytes: number }> {
  const file = await disk.open(path, 'r');
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK_SIZE);
    let pos = 0;
    for (;;) {
      const n = await file.read(buf, pos);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      pos += n;
    }
    return { sha256: hash.digest('hex'), bytes: pos };
  } finally {
    await file.close();
  }
}
