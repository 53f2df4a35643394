/** Gzip compression of a file into a new file, atomically, in constant memory. */
import { Readable, pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Disk } from '../disk/index.js';
import { writeFile } from '../file/write-file.js';
import { readPathChunks } from '../file/read-chunks.js';

/**
 * Writes `from` gzipped to `to` with writeFile: `to` appears complete or not at all,
 * synced, with mode `mode`. A failure on either side destroys the whole pipeline, and
 * writeFile then sees the error and removes its temporary file.
 */
export async function gzipFile(disk: Disk, from: string, to: string, mode: number): Promise<void> {
  const gz = pipeline(
    Readable.from(readPathChunks(disk, from, { op: 'rotateFile', path: from, fresh: true })),
    createGzip(),
    () => {
      // Errors reach the consumer through the destroyed gzip stream.
    },
  );
  await writeFile(to, gz, { disk, mode });
}
