/**
 * Read-modify-write of a JSON file under an exclusive cross-process lock, so that
 * concurrent updaters (threads of one process or many processes) never lose an update.
 * One protocol (disk/dual.ts): updateJson runs it asynchronously, updateJsonSync
 * synchronously, with the same lock (lockSync's rules: a lock held by this very process
 * fails at once with ELOCKED instead of waiting forever).
 */
import { AtomicError, errorCode, invalidArg } from '../base/errors.js';
import { assertSchemaCompiles } from '../base/schema.js';
import type { Coordinator } from '../lock/coordinator.js';
import { lockHeld } from '../lock/lock.js';
import { checkOptions } from '../base/options-check.js';
import { pathArg, type PathLike } from '../file/check-path.js';
import type { SyncOptions } from '../file/options.js';
import { call, isThenable, runAsync, runSync, type Dual } from '../disk/dual.js';
import { readValue, writeChecked, type WriteValueOptions } from './json.js';

export interface UpdateJsonOptions<T> extends WriteValueOptions {
  /** The value `fn` receives when the file does not exist (default: undefined). */
  default?: T | undefined;
  /** Give up waiting for the lock after this many ms (LockError, ELOCKED); wait until acquired if not given. */
  timeout?: number | undefined;
  /** Keep the lock in a coordination service (see lock()): for hosts sharing the folder. */
  coordinator?: Coordinator | undefined;
}

/** updateJsonSync()'s options: updateJson()'s, less `signal`, `onProgress` and `coordinator` (asynchronous only). */
export type UpdateJsonSyncOptions<T> = Omit<SyncOptions<UpdateJsonOptions<T>>, 'coordinator'>;

export function updateJson<T = unknown>(
  given: PathLike,
  fn: (old: T | undefined) => T | Promise<T>,
  opts: UpdateJsonOptions<T> = {},
): Promise<T> {
  return runAsync(update('updateJson', given, fn, opts));
}

/**
 * updateJson, synchronously (the same protocol): `fn` must return the new value itself;
 * one that returns a promise is refused (EINVAL) and nothing is written. Waits for a lock
 * held by another process without spinning the processor; a lock held by this process
 * fails at once (ELOCKED), as for lockSync.
 */
export function updateJsonSync<T = unknown>(
  given: PathLike,
  fn: (old: T | undefined) => T,
  opts: UpdateJsonSyncOptions<T> = {},
): T {
  return runSync(update('updateJsonSync', given, fn, opts));
}

function* update<T>(
  op: 'updateJson' | 'updateJsonSync',
  given: PathLike,
  fn: (old: T | undefined) => T | Promise<T>,
  opts: UpdateJsonOptions<T>,
): Dual<T> {
  const sync = op === 'updateJsonSync';
  const path = pathArg(op, given);
  checkOptions('updateJson', op, path, opts, sync);
  if (typeof fn !== 'function') throw invalidArg(op, path, 'fn must be a function');
  // A schema that does not compile must fail before we wait for a lock or read anything.
  if (opts.schema !== undefined) assertSchemaCompiles(opts.schema, path);
  const { coordinator, ...writeOpts } = opts;
  const { release, stillHeld } = yield* lockHeld(
    path,
    { timeout: opts.timeout, signal: opts.signal, disk: opts.disk, coordinator },
    op,
  );
  let next: T;
  try {
    let old: T | undefined;
    try {
      old = (yield* readValue('json', path, { disk: opts.disk, signal: opts.signal, retry: opts.retry }, sync)) as T;
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
      old = opts.default;
    }
    next = yield* updated(op, path, fn, old);
    // A holder paused past its lease may have lost the lock to another updater, who
    // read the same old value: writing now would lose that update.
    if (!(yield* stillHeld())) {
      const why = coordinator ? 'its lease in the coordinator expired' : 'its record was removed or taken over';
      throw new AtomicError(
        coordinator ? 'ECOORDINATOR' : 'ECOMPROMISED',
        `${op} ${path}: the lock was lost (${why}) before writing; nothing was written`,
        { path },
      );
    }
    yield* writeChecked('json', path, next, writeOpts);
  } catch (err) {
    // The failure says more than a release that fails after it.
    try {
      yield* release();
    } catch {
      // Dropped: see above.
    }
    throw err;
  }
  yield* release();
  return next;
}

/** The caller's new value: awaited when driven asynchronously; driven synchronously, it must not be a promise. */
function updated<T>(op: string, path: string, fn: (old: T | undefined) => T | Promise<T>, old: T | undefined): Dual<T> {
  return call(
    () => {
      const next = fn(old);
      if (isThenable(next)) {
        // Its outcome is not ours to report: keep a rejection from counting as unhandled.
        Promise.resolve(next).catch(() => undefined);
        throw invalidArg(
          op,
          path,
          'fn returned a promise: a synchronous update needs the new value itself (use updateJson for an asynchronous fn); nothing was written',
        );
      }
      return next;
    },
    () => fn(old),
  );
}
