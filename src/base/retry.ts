/**
 * Retries of transient errors only. A failure that a retry cannot fix (ENOENT, EACCES
 * on Linux, ENOSPC, EIO…) surfaces at once; the codes below are the ones that go away
 * by themselves: a busy file, a full descriptor table, a would-block.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode } from './errors.js';

export interface RetryOptions {
  /** Total attempts, the first included (default 5; 1 disables retries). */
  attempts?: number;
  /** Upper bound of one backoff delay in ms (default 1000). */
  maxDelayMs?: number;
}

const TRANSIENT = new Set(['EBUSY', 'EMFILE', 'ENFILE', 'EAGAIN']);
// On Windows a rename over a file that another process has open fails with EPERM or
// EACCES until it closes it (antivirus, indexers); elsewhere those codes are final.
const TRANSIENT_RENAME_WIN32 = new Set(['EPERM', 'EACCES']);

export function isTransient(err: unknown, isRename = false): boolean {
  const code = errorCode(err);
  if (code === undefined) return false;
  if (TRANSIENT.has(code)) return true;
  return isRename && process.platform === 'win32' && TRANSIENT_RENAME_WIN32.has(code);
}

/**
 * Runs `op`, retrying transient failures with exponential backoff and jitter, bounded
 * by `attempts` and `maxDelayMs`. Aborts between attempts when `signal` fires.
 */
export async function retryTransient<T>(
  op: () => Promise<T>,
  options: RetryOptions | undefined,
  signal?: AbortSignal,
  isRename = false,
): Promise<T> {
  const attempts = Math.max(1, options?.attempts ?? 5);
  const maxDelayMs = Math.max(0, options?.maxDelayMs ?? 1000);
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (attempt >= attempts || !isTransient(err, isRename) || signal?.aborted) throw err;
      const base = Math.min(maxDelayMs, 10 * 2 ** (attempt - 1));
      await sleep(base / 2 + Math.random() * (base / 2));
    }
  }
}
