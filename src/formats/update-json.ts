/**
 * Read-modify-write of a JSON file under an exclusive cross-process lock, so that
 * concurrent updaters (threads of one process or many processes) never lose an update.
 */
import { AtomicError, errorCode, invalidArg } from '../base/errors.js';
import { assertSchemaCompiles } from '../base/schema.js';
import type { Coordinator } from '../lock/coordinator.js';
import { lockHeld } from '../lock/lock.js';
import { checkOptions } from '../base/options-check.js';
import { pathArg, type PathLike } from '../file/check-path.js';
import { readValue, writeChecked, type WriteValueOptions } from './json.js';

export interface UpdateJsonOptions<T> extends WriteValueOptions {
  /** The value `fn` receives when the file does not exist (default: undefined). */
  default?: T | undefined;
  /** Give up waiting for the lock after this many ms (LockError, ELOCKED); wait until acquired if not given. */
  timeout?: number | undefined;
  /** Keep the lock in a coordination service (see lock()): for hosts sharing the folder. */
  coordinator?: Coordinator | undefined;
}

export async function updateJson<T = unknown>(
  given: PathLike,
  fn: (old: T | undefined) => T | Promise<T>,
  opts: UpdateJsonOptions<T> = {},
): Promise<T> {
  const path = pathArg('updateJson', given);
  checkOptions('updateJson', 'updateJson', path, opts);
  if (typeof fn !== 'function') throw invalidArg('updateJson', path, 'fn must be a function');
  // A schema that does not compile must fail before we wait for a lock or read anything.
  if (opts.schema !== undefined) assertSchemaCompiles(opts.schema, path);
  const { coordinator, ...writeOpts } = opts;
  const { release, stillHeld } = await lockHeld(path, {
    timeout: opts.timeout,
    signal: opts.signal,
    disk: opts.disk,
    coordinator,
  });
  let next: T;
  try {
    const old = await (
      readValue('json', path, { disk: opts.disk, signal: opts.signal, retry: opts.retry }) as Promise<T>
    ).catch((err: unknown) => {
      if (errorCode(err) === 'ENOENT') return opts.default;
      throw err;
    });
    next = await fn(old);
    // A holder paused past its lease may have lost the lock to another updater, who
    // read the same old value: writing now would lose that update.
    if (!(await stillHeld())) {
      const why = coordinator ? 'its lease in the coordinator expired' : 'its record was removed or taken over';
      throw new AtomicError(
        coordinator ? 'ECOORDINATOR' : 'ECOMPROMISED',
        `updateJson ${path}: the lock was lost (${why}) before writing; nothing was written`,
        { path },
      );
    }
    await writeChecked('json', path, next, writeOpts);
  } catch (err) {
    // The failure says more than a release that fails after it.
    await release().catch(() => undefined);
    throw err;
  }
  await release();
  return next;
}
