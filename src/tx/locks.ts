/**
 * A transaction's locks: one exclusive lock per path it touches, taken in a single global
 * order (sorted real paths). Two transactions that both need A and B both wait for A
 * first, so neither can hold B while waiting for A: no deadlock.
 *
 * Fast path: when nobody else holds any of them, all are tried at once without waiting
 * (a try-lock never waits while holding, so it cannot deadlock either); if any is busy,
 * those taken are released and the ordered, waiting path is used.
 */
import { pathKey, type Disk } from '../disk/index.js';
import { LockError } from '../base/errors.js';
import { lockAs, type Release } from '../lock/lock.js';
import { runAsync } from '../disk/dual.js';
import type { LockOwner } from '../lock/lock-link.js';
import { lockKeys } from '../lock/coordinated-lock.js';
import type { Coordinator } from '../lock/coordinator.js';

export interface LockAllOptions {
  disk: Disk;
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Hold each lock as a link to this owner file where possible (lock/lock-link.ts). */
  owner?: LockOwner | undefined;
  /** Keep the locks in this coordination service instead of beside the files. */
  coordinator?: Coordinator | undefined;
  /** With a coordinator: who holds them (a transaction's id); a fresh token if undefined. */
  holder?: string | undefined;
}

function releaserOf(held: Release[]): Release {
  return async () => {
    // Each release is idempotent; they are independent, so they run at once.
    await Promise.all(held.map((release) => release().catch(() => undefined)));
  };
}

async function tryAll(sorted: string[], opts: LockAllOptions): Promise<Release | undefined> {
  const tries = await Promise.allSettled(
    sorted.map((path) =>
      runAsync(lockAs(path, { disk: opts.disk, timeout: 0, signal: opts.signal }, opts.owner, true)),
    ),
  );
  const held = tries.flatMap((t) => (t.status === 'fulfilled' ? [t.value] : []));
  const failure = tries.find((t): t is PromiseRejectedResult => t.status === 'rejected');
  if (!failure) return releaserOf(held);
  await releaserOf(held)();
  if (failure.reason instanceof LockError) return undefined;
  throw failure.reason;
}

/** Locks every path (real paths); resolves to a release of them all. */
export async function lockAll(paths: Iterable<string>, opts: LockAllOptions): Promise<Release> {
  // One lock per file: two spellings of one name (letter case, where it does not count)
  // would otherwise be two locks on one lock folder, the second waiting for the first.
  const byKey = new Map<string, string>();
  for (const path of paths) byKey.set(pathKey(opts.disk.capabilities, path), path);
  const sorted = [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, path]) => path);
  if (opts.coordinator) {
    if (sorted.length === 0) return () => Promise.resolve();
    const held = await lockKeys(
      opts.coordinator,
      sorted,
      { timeout: opts.timeout, shared: false, signal: opts.signal, holder: opts.holder },
      sorted[0] ?? '',
    );
    return releaserOf([held.release]);
  }
  const fast = await tryAll(sorted, opts);
  if (fast) return fast;
  const held: Release[] = [];
  try {
    const deadline = opts.timeout === undefined ? undefined : Date.now() + opts.timeout;
    for (const path of sorted) {
      const timeout = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
      held.push(await runAsync(lockAs(path, { disk: opts.disk, timeout, signal: opts.signal }, opts.owner, true)));
    }
  } catch (err) {
    await releaserOf(held)();
    throw err;
  }
  return releaserOf(held);
}
