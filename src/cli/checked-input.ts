/**
 * The input of `write` and `create`, checked as it streams: never longer than `--size`,
 * exactly `--size` at the end, and not empty unless `--allow-empty` (or `--size 0`). A
 * failed check fails the source, so the library leaves the file as it was.
 */
import { AtomicError } from '../index.js';

export interface InputRules {
  /** The file being written, for messages. */
  path: string;
  size?: number | undefined;
  allowEmpty: boolean;
}

export async function* checkedInput(source: AsyncIterable<Uint8Array>, rules: InputRules): AsyncGenerator<Uint8Array> {
  const { path, size } = rules;
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.length;
    if (size !== undefined && bytes > size) {
      throw new AtomicError('ESIZE', `${path}: the input is longer than --size ${size} bytes`, { path });
    }
    yield chunk;
  }
  if (size !== undefined && bytes !== size) {
    throw new AtomicError('ESIZE', `${path}: the input ended after ${bytes} bytes, --size says ${size}`, { path });
  }
  if (bytes === 0 && !rules.allowEmpty && size !== 0) {
    throw new AtomicError(
      'EEMPTY',
      `${path}: the input is empty; refusing to replace the file with nothing (--allow-empty allows it)`,
      { path },
    );
  }
}
