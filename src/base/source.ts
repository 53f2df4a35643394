/**
 * Sources: what a write accepts. Strings and bytes are written in one piece; async
 * iterables and Readable streams are consumed chunk by chunk so memory stays constant.
 */
import type { Readable } from 'node:stream';
import { invalidArg } from './errors.js';

export type Data = string | Uint8Array;
export type Source = Data | AsyncIterable<Uint8Array | string> | Readable;

export function isData(source: unknown): source is Data {
  return typeof source === 'string' || source instanceof Uint8Array;
}

/** Known size in bytes, or undefined for streams. */
export function sourceSize(source: Source, encoding: BufferEncoding = 'utf8'): number | undefined {
  if (typeof source === 'string') return Buffer.byteLength(source, encoding);
  if (source instanceof Uint8Array) return source.byteLength;
  return undefined;
}

/** The source as a sequence of byte chunks; throws EINVAL for anything else. */
export async function* chunksOf(
  source: Source,
  op: string,
  path: string,
  encoding: BufferEncoding = 'utf8',
): AsyncGenerator<Uint8Array> {
  if (typeof source === 'string') {
    yield Buffer.from(source, encoding);
    return;
  }
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  if (source !== null && typeof source === 'object' && Symbol.asyncIterator in source) {
    for await (const chunk of source as AsyncIterable<unknown>) {
      if (typeof chunk === 'string') yield Buffer.from(chunk, encoding);
      else if (chunk instanceof Uint8Array) yield chunk;
      else throw invalidArg(op, path, `source yielded a ${typeof chunk}, expected bytes or strings`);
    }
    return;
  }
  throw invalidArg(op, path, 'source must be a string, Uint8Array, AsyncIterable or Readable stream');
}
