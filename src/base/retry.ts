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
export function retryTransient<T>(
  op: () => Promise<T>,
  options: RetryOptions | undefined,
  signal?: AbortSignal,
  isRename = false,
): Promise<T> {
  // The first attempt is the one that nearly always succeeds: it runs without the loop's
  // async machinery, which a durable write would otherwise allocate twice.
  let first: Promise<T>;
  try {
    first = op();
  } catch (err) {
    first = Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  return first.catch((err: unknown) => retryAfter(err, op, options, signal, isRename));
}

async function retryAfter<T>(firstError: unknown, op: () => Promise<T>, options: RetryOptions | undefined, signal: AbortSignal | undefined, isRename: boolean): Promise<T> {
  const attempts = Math.max(1, options?.attempts ?? 5);
  const maxDelayMs = Math.max(0, options?.maxDelayMs ?? 1000);
  let err = firstError;
  for (let attempt = 1; ; attempt++) {
    if (attempt >= attempts || !isTransient(err, isRename) || signal?.aborted) throw err;
    const base = Math.min(maxDelayMs, 10 * 2 ** (attempt - 1));
    await sleep(base / 2 + Math.random() * (base / 2));
    try {
      return await op();
    } catch (next) {
      err = next;
    }
  }
}
