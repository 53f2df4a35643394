/**
 * Retries of transient errors only. A failure that a retry cannot fix (ENOENT, EACCES
 * on Linux, ENOSPC, EIO…) surfaces at once; the codes below are the ones that go away
 * by themselves: a busy file, a full descriptor table, a would-block. Sharing violations
 * (a file held open by another program under Windows) are the disk's own rule, retried
 * around the disk itself: retry-sharing.ts.
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
 * by `attempts` and `maxDelayMs`. Aborts between attempts when `signal` fires.
 */
export function retryTransient<T>(
  op: () => Promise<T>,
  options: RetryOptions | undefined,
  signal?: AbortSignal,
): Promise<T> {
  return retryWhile(op, isTransient, options?.attempts ?? 5, options?.maxDelayMs, signal);
}

/**
 * Runs `op`, retrying the failures that `retryable` accepts with exponential backoff and
 * jitter (10 ms doubling, up to `maxDelayMs`, default 1000), `attempts` in all.
 */
export function retryWhile<T>(
  op: () => Promise<T>,
  retryable: (err: unknown) => boolean,
  attempts: number,
  maxDelayMs: number | undefined,
  signal?: AbortSignal,
): Promise<T> {
  // The first attempt is the one that nearly always succeeds: it runs without the loop's
  // async machinery, which a durable write would otherwise allocate twice.
  let first: Promise<T>;
  try {
    first = op();
  } catch (err) {
    first = Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  return first.catch((err: unknown) =>
    retryAfter(err, op, retryable, Math.max(1, attempts), Math.max(0, maxDelayMs ?? 1000), signal),
  );
}

async function retryAfter<T>(
  firstError: unknown,
  op: () => Promise<T>,
  retryable: (err: unknown) => boolean,
  attempts: number,
  maxDelayMs: number,
  signal: AbortSignal | undefined,
): Promise<T> {
  let err = firstError;
  for (let attempt = 1; ; attempt++) {
    if (attempt >= attempts || !retryable(err) || signal?.aborted) throw err;
    const base = Math.min(maxDelayMs, 10 * 2 ** (attempt - 1));
    await sleep(base / 2 + Math.random() * (base / 2));
    try {
      return await op();
    } catch (next) {
      err = next;
    }
  }
}
