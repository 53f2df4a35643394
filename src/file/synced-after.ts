import { AtomicError, systemCodeOf } from '../base/errors.js';

/**
 * Runs the directory sync that follows a change already made (a rename, an unlink). If it
 * fails, the error says that the change happened but may not survive a power loss, and
 * names the caller's path (the sync's own error names only the folder).
 */
export async function syncedAfter(sync: Promise<void>, op: string, path: string, done: string): Promise<void> {
  try {
    await sync;
  } catch (err) {
    const code = systemCodeOf(err) ?? 'EIO';
    throw new AtomicError(
      code,
      `${op} ${path}: ${code}: ${done}, but syncing its folder failed, so the change may not survive a power loss`,
      { path, cause: err },
    );
  }
}
