/**
 * Read-modify-write of a JSON file under an exclusive cross-process lock, so that
 * concurrent updaters (threads of one process or many processes) never lose an update.
 */
import { errorCode, invalidArg } from '../base/errors.js';
import { assertSchemaCompiles } from '../base/schema.js';
import { lock } from '../file/lock.js';
import { readJson, writeJson, type WriteValueOptions } from './json.js';

export interface UpdateJsonOptions<T> extends WriteValueOptions {
  /** The value `fn` receives when the file does not exist (default: undefined). */
  default?: T | undefined;
  /** Give up waiting for the lock after this many ms (LockError, ELOCKED). */
  lockTimeout?: number | undefined;
}

export async function updateJson<T = unknown>(
  path: string,
  fn: (old: T | undefined) => T | Promise<T>,
  opts: UpdateJsonOptions<T> = {},
): Promise<T> {
  if (typeof fn !== 'function') throw invalidArg('updateJson', path, 'fn must be a function');
  // A schema that does not compile must fail before we wait for a lock or read anything.
  if (opts.schema !== undefined) assertSchemaCompiles(opts.schema, path);
  const release = await lock(path, { timeout: opts.lockTimeout, signal: opts.signal, disk: opts.disk });
  try {
    const old = await readJson<T>(path, { disk: opts.disk, signal: opts.signal, retry: opts.retry }).catch((err: unknown) => {
      if (errorCode(err) === 'ENOENT') return opts.default;
      throw err;
    });
    const next = await fn(old);
    await writeJson(path, next, opts);
    return next;
  } finally {
    await release();
  }
}
