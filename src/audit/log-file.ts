/** Reading the audit log through the disk seam: line by line, and its last line. */
import type { Disk, DiskFile } from '../disk/index.js';
import { readPathChunks } from '../file/read-chunks.js';
import * as io from '../disk/io.js';
import type { Dual } from '../disk/dual.js';

export interface RawLine {
  /** 1-based. */
  number: number;
  text: string;
}

/**
 * The file's lines without their newlines. A last line without a newline is an append
 * that a crash cut short (its writer was never told it succeeded): it is left out.
 */
export async function* linesOf(disk: Disk, path: string): AsyncGenerator<RawLine> {
  let carry = Buffer.alloc(0);
  let number = 0;
  for await (const chunk of readPathChunks(disk, path, { op: 'AuditLog', path })) {
    let data = Buffer.concat([carry, chunk]);
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10)) {
      yield { number: ++number, text: data.subarray(0, nl).toString('utf8') };
      data = data.subarray(nl + 1);
    }
    // A copy: the chunk's buffer is reused for the next read.
    carry = Buffer.from(data);
  }
}

/** The first line (up to `max` bytes), or '' for an empty file. */
export function* firstLine(file: DiskFile, max = 64 * 1024): Dual<string> {
  const buf = Buffer.alloc(max);
  const n = yield* io.read(file, buf, 0);
  const text = buf.subarray(0, n);
  const nl = text.indexOf(10);
  return (nl === -1 ? text : text.subarray(0, nl)).toString('utf8');
}

/**
 * The last complete line that `good` accepts: its end (the offset after its newline) and
 * its text; undefined if there is none. Reads backwards from `size` in growing windows.
 * Bytes after that line are what a crash left of an append that never completed.
 */
export function* lastGoodLine(
  file: DiskFile,
  size: number,
  good: (text: string) => boolean,
): Dual<{ end: number; text: string } | undefined> {
  for (let want = 4096; ; want *= 4) {
    const start = Math.max(0, size - want);
    const buf = Buffer.alloc(size - start);
    const data = buf.subarray(0, yield* io.read(file, buf, start));
    for (let end = data.lastIndexOf(10); end !== -1;) {
      // (lastIndexOf with a negative offset counts from the end: guard end === 0.)
      const begin = end === 0 ? -1 : data.lastIndexOf(10, end - 1);
      if (begin === -1 && start > 0) break; // the line starts before the window
      const text = data.subarray(begin + 1, end).toString('utf8');
      if (good(text)) return { end: start + end + 1, text };
      end = begin;
    }
    if (start === 0) return undefined;
  }
}
