/**
 * lock() with a coordinator: the lock is a key in the coordination service under this
 * process's lease instead of a record beside the file, so it dies with its holder (or
 * the holder's connection) whatever its pid or host name. Same shape as the file form:
 * a writer claims first and then waits for the readers present to leave; a claim makes
 * new readers wait, so writers are not starved.
 *
 * The key of a path is its absolute path: every host must see the shared folder at the
 * same path (mount it at the same place), or their locks will not meet.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { abortError } from '../base/abort.js';
import { AtomicError, LockError } from '../base/errors.js';
import { budgetUntil, type Coordinator } from './coordinator.js';
import { randomId } from '../file/temp-name.js';

export interface CoordinatedLock {
  release: () => Promise<void>;
  /** Whether the lock is still ours (false once the lease it was held under was lost). */
  stillHeld: () => Promise<boolean>;
}

export interface CoordinatedLockOptions {
  /** Give up after this many ms (LockError); wait forever if undefined. */
  timeout: number | undefined;
  shared: boolean;
  signal: AbortSignal | undefined;
  /** Who holds the locks (a transaction's id); a fresh token if undefined. */
  holder?: string | undefined;
}

const MAX_POLL_MS = 100;

/** Waits for every key (all at once, or in the order given) and then for readers to leave. */
export async function lockKeys(
  coordinator: Coordinator,
  keys: readonly string[],
  opts: CoordinatedLockOptions,
  shown: string,
): Promise<CoordinatedLock> {
  const holder = opts.holder ?? 'lock-' + randomId(8);
  const deadline = opts.timeout === undefined ? Infinity : Date.now() + opts.timeout;
  const taken: string[] = [];
  const drop = async (): Promise<void> => {
    if (taken.length > 0) await coordinator.release(taken, holder, opts.shared).catch(() => undefined);
  };
  try {
    // All at once first: one request when nobody holds any of them.
    const first = await coordinator.claim(keys, holder, opts.shared, budgetUntil(deadline));
    if (first.claimed) taken.push(...keys);
    // Else one by one in the caller's (global) order, waiting: no deadlock between holders.
    for (const key of taken.length > 0 ? [] : keys) {
      await waitFor(
        () => coordinator.claim([key], holder, opts.shared, budgetUntil(deadline)).then((r) => r.claimed),
        deadline,
        opts,
        keys.length === 1 ? shown : key,
      );
      taken.push(key);
    }
    if (!opts.shared)
      await waitFor(async () => !(await coordinator.hasReaders(keys, budgetUntil(deadline))), deadline, opts, shown);
  } catch (err) {
    await drop();
    throw err;
  }
  return heldLock(coordinator, keys, holder, opts.shared, shown);
}

async function waitFor(
  ready: () => Promise<boolean>,
  deadline: number,
  opts: CoordinatedLockOptions,
  shown: string,
): Promise<void> {
  let delay = 2;
  for (;;) {
    if (opts.signal?.aborted) throw abortError(opts.signal, 'lock', shown);
    if (await ready()) return;
    if (Date.now() >= deadline)
      throw new LockError(shown, `still locked by another holder after ${opts.timeout ?? 0} ms`);
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    delay = Math.min(MAX_POLL_MS, delay * 2) * (0.75 + Math.random() * 0.5);
  }
}

function heldLock(
  coordinator: Coordinator,
  keys: readonly string[],
  holder: string,
  shared: boolean,
  shown: string,
): CoordinatedLock {
  let released: Promise<void> | undefined;
  return {
    stillHeld: () => coordinator.holds(keys, holder, !shared),
    release: () =>
      (released ??= (async () => {
        // A lock lost while held (its lease expired: the process was paused or cut off)
        // may have been taken by another holder meanwhile: the caller must know.
        if (!(await coordinator.release(keys, holder, shared))) {
          throw new AtomicError(
            'ECOORDINATOR',
            `${shown}: the lock was lost while held (its lease in the coordinator expired); another holder may have had it meanwhile`,
            { path: shown },
          );
        }
      })()),
  };
}
