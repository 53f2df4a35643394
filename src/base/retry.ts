/**
 * Retries of transient errors only. A failure that a retry cannot fix (ENOENT, EACCES
 * on Linux, ENOSPC, EIO…) surfaces at once; the codes below are the ones that go away
 * by themselves: a busy file, a full descriptor table, a would-block. Sharing violations
 * (a file held open by another program under Windows) are the disk's own rule, retried
 * around the disk itself: retry-sharing.ts.
 */
import { sleep, type Dual } from '../disk/dual.js';
import { errorCode } from './errors.js';

export interface RetryOptions {
  /** Total attempts, the first included (default 5; 1 disables retries). */
  attempts?: number;
  /** Upper bound of one backoff delay in ms (default 1000). */
  maxDelayMs?: number;
}

const TRANSIENT = new Set(['EBUSY', 'EMFILE', 'ENFILE', 'EAGAIN']);

/** Errors already retried for as long as their own rule allows (see retry-sharing.ts). */
const exhausted = new WeakSet<object>();

/** Marks `err` as retried to its bound already: no other retry loop takes it up again. */
export function markExhausted(err: unknown): unknown {
  if (typeof err === 'object' && err !== null) exhausted.add(err);
  return err;
}

export function isTransient(err: unknown): boolean {
  const code = errorCode(err);
  if (code === undefined || exhausted.has(err as object)) return false;
  return TRANSIENT.has(code);
}

/**
 * Runs `op`, retrying transient failures with exponential backoff and jitter, bounded
 * by `attempts` and `maxDelayMs`. Aborts between attempts when `signal` fires. Driven
 * synchronously, the backoff blocks the thread without spinning (dual.ts, `sleep`).
 */
export function retryTransient<T>(op: () => Dual<T>, options: RetryOptions | undefined, signal?: AbortSignal): Dual<T> {
  return retryWhile(op, isTransient, options?.attempts ?? 5, options?.maxDelayMs, signal);
}

/**
 * Takes up `op`'s retries after its first attempt failed with `failure`, as retryTransient
 * would have: a call made once where it stands (the common case, which does not fail)
 * needs no retry loop, nor a function to make it again, around it.
 */
export function retryTransientAfter<T>(
  failure: unknown,
  op: () => Dual<T>,
  options: RetryOptions | undefined,
  signal?: AbortSignal,
): Dual<T> {
  return retryWhile(op, isTransient, options?.attempts ?? 5, options?.maxDelayMs, signal, { failure });
}

/**
 * Runs `op`, retrying the failures that `retryable` accepts with exponential backoff and
 * jitter (10 ms doubling, up to `maxDelayMs`, default 1000), `attempts` in all. With
 * `first`, the first attempt was made already and failed so.
 */
export function* retryWhile<T>(
  op: () => Dual<T>,
  retryable: (err: unknown) => boolean,
  attempts: number,
  maxDelayMs: number | undefined,
  signal?: AbortSignal,
  first?: { failure: unknown },
): Dual<T> {
  const bound = Math.max(1, attempts);
  const maxDelay = Math.max(0, maxDelayMs ?? 1000);
  for (let attempt = 1; ; attempt++) {
    try {
      if (attempt === 1 && first) throw first.failure;
      return yield* op();
    } catch (err) {
      if (attempt >= bound || !retryable(err) || signal?.aborted) throw err;
      const base = Math.min(maxDelay, 10 * 2 ** (attempt - 1));
      yield* sleep(base / 2 + Math.random() * (base / 2));
    }
  }
}
