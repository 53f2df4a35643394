/**
 * Writes <mib> MiB to <path> with writeFile from a Readable stream of 1 MiB chunks, then
 * prints one JSON line: peak memory (maxRSS, KiB), bytes written, and whether the
 * SHA-256 writeFile reported matches the one of the generated data.
 * argv: <path> <mib>
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { writeFile } from '../../src/index.js';

const [path, mib] = process.argv.slice(2);
if (!path || !mib) throw new Error('usage: file-big-child <path> <mib>');

const expected = createHash('sha256');
async function* chunks(count: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < count; i++) {
    // A fresh chunk each time, as a network or file stream would hand out.
    const chunk = Buffer.alloc(1 << 20, i % 251);
    expected.update(chunk);
    yield chunk;
  }
}

// A byte stream (not object mode) buffering one chunk ahead, like a file or a socket.
const source = Readable.from(chunks(Number(mib)), { objectMode: false, highWaterMark: 1 << 20 });
const result = await writeFile(path, source);
console.log(
  JSON.stringify({
    maxRssKiB: process.resourceUsage().maxRSS,
    bytes: result.bytes,
    shaMatches: result.sha256 === expected.digest('hex'),
  }),
);
