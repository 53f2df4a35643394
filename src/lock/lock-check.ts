/**
 * check() and unlock(), as users of proper-lockfile know them: whether a path is locked
 * (by any live holder, any process), and a release by path of a lock this process holds.
 * unlock never removes another holder's lock: there is no way to force one open.
 */
import { resolve } from 'node:path';
import { AtomicError, fsError } from '../base/errors.js';
import { pathArg, type PathLike } from '../file/check-path.js';
import { checkOptions } from '../base/options-check.js';
import { heldByUs, isLockedReal } from './lock.js';
import { diskOf, type BaseOptions } from '../file/options.js';
import { realish } from '../file/real-path.js';
import { runAsync } from '../disk/dual.js';

export interface CheckOptions extends Pick<BaseOptions, 'disk'> {
  /** As for lock(): a holder on another host silent for this long counts as dead (default 30 s). */
  staleMs?: number | undefined;
}

/** Whether a live holder has a lock (exclusive or shared) on the file `path` names. */
export async function check(given: PathLike, opts?: CheckOptions): Promise<boolean> {
  const path = pathArg('check', given, 'path', false);
  checkOptions('check', 'check', path, opts);
  const disk = diskOf(opts);
  try {
    return await runAsync(isLockedReal(disk, await runAsync(realish(disk, resolve(path))), opts?.staleMs ?? 30_000));
  } catch (err) {
    throw fsError(err, 'check', path);
  }
}

export type UnlockOptions = Pick<BaseOptions, 'disk'>;

/**
 * Releases the lock this process took with lock() on the file `path` names (the most
 * recent one, if it holds several shared ones). ENOTACQUIRED if it holds none: another
 * process's lock is never removed.
 */
export async function unlock(given: PathLike, opts?: UnlockOptions): Promise<void> {
  const path = pathArg('unlock', given, 'path', false);
  checkOptions('unlock', 'unlock', path, opts);
  const disk = diskOf(opts);
  let real: string;
  try {
    real = await runAsync(realish(disk, resolve(path)));
  } catch (err) {
    throw fsError(err, 'unlock', path);
  }
  const held = heldByUs(real);
  if (!held)
    throw new AtomicError(
      'ENOTACQUIRED',
      `unlock ${path}: this process holds no lock on it (a lock held by another process is never removed)`,
      { path },
    );
  await held();
}
