import { AtomicError, systemCodeOf } from '../base/errors.js';
import type { Dual } from '../disk/dual.js';

/**
 * Runs the directory sync that follows a change already made (a rename, an unlink). If it
 * fails, the error says that the change happened but may not survive a power loss, and
 * names the caller's path (the sync's own error names only the folder).
 */
export function* syncedAfter(sync: Dual<void>, op: string, path: string, done: string): Dual<void> {
  try {
    yield* sync;
  } catch (err) {
    const code = systemCodeOf(err) ?? 'EIO';
    throw new AtomicError(
      code,
      `${op} ${path}: ${code}: ${done}, but syncing its folder failed, so the change may not survive a power loss`,
      { path, cause: err },
    );
  }
}
