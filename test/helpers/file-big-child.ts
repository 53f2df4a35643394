/**
 * Writes <mib> MiB to <path> with writeFile from a Readable stream of 1 MiB chunks, then
 * prints one JSON line: the most memory the write held at once (MiB) over a baseline
 * taken in this process just before it, the growth of resident memory over the same
 * baseline (MiB, for the record), bytes written, and whether the SHA-256 writeFile
 * reported matches the one of the generated data. Run with --expose-gc.
 *
 * Held memory is the JavaScript heap and Buffers still reachable after a full collection,
 * sampled every 8 chunks: a write that kept its content would hold all of it. Resident
 * memory is not what is asserted: it also holds chunks already dropped but not yet
 * collected, as much as the collector's schedule lets pile up, and that schedule and the
 * process's starting size differ between Node lines.
 * argv: <path> <mib>
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { writeFile } from '../../src/index.js';

const [path, mib] = process.argv.slice(2);
if (!path || !mib) throw new Error('usage: file-big-child <path> <mib>');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('file-big-child: run it with --expose-gc');
const collect = gc;

const MIB = 1 << 20;
let peakHeld = 0;
let peakRss = 0;

function held(): number {
  collect();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function* chunks(count: number, expected?: Hash): AsyncGenerator<Buffer> {
  for (let i = 0; i < count; i++) {
    if (expected && i > 0 && i % 8 === 0) peakHeld = Math.max(peakHeld, held());
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    // A fresh chunk each time, as a network or file stream would hand out.
    const chunk = Buffer.alloc(MIB, i % 251);
    expected?.update(chunk);
    yield chunk;
  }
}

/** A byte stream (not object mode) buffering one chunk ahead, like a file or a socket. */
function stream(count: number, expected?: Hash): Readable {
  return Readable.from(chunks(count, expected), { objectMode: false, highWaterMark: MIB });
}

// The same kind of write first, so that code, buffers and the thread pool are in place.
await writeFile(`${path}.warm`, stream(4));
const baselineHeld = held();
const baselineRss = process.memoryUsage.rss();
peakHeld = baselineHeld;
peakRss = baselineRss;
const expected = createHash('sha256');
const result = await writeFile(path, stream(Number(mib), expected), { sha256: true });
console.log(
  JSON.stringify({
    heldMiB: (peakHeld - baselineHeld) / MIB,
    rssGrowthMiB: (Math.max(peakRss, process.memoryUsage.rss()) - baselineRss) / MIB,
    bytes: result.bytes,
    shaMatches: result.sha256 === expected.digest('hex'),
  }),
);
