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
import { all, fork, settle, type Dual } from '../disk/dual.js';
import type { LockOwner } from '../lock/lock-link.js';
import { lockKeys } from '../lock/coordinated-lock.js';
import type { Coordinator } from '../lock/coordinator.js';
import { asyncOnly } from '../base/async-only.js';
import { lockAs, releasing, type HeldLock } from '../lock/lock.js';

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

/** Releases every lock taken; a step, so that a synchronous commit releases synchronously. */
export type ReleaseAll = () => Dual<void>;

function releaserOf(held: HeldLock[]): ReleaseAll {
  return function* () {
    // Each release is idempotent; they are independent, so they run at once.
    yield* all(held.map((release) => releaseQuietly(release)));
  };
}

function* releaseQuietly(release: HeldLock): Dual<void> {
  try {
    yield* releasing(release);
  } catch {
    // A lock not released is stale once we are gone (see lock-record.ts).
  }
}

function* tryAll(sorted: string[], opts: LockAllOptions): Dual<ReleaseAll | undefined> {
  const tasks = [];
  for (const path of sorted)
    tasks.push(yield* fork(lockAs(path, { disk: opts.disk, timeout: 0, signal: opts.signal }, opts.owner, true)));
  const tries = [];
  for (const task of tasks) tries.push(yield* settle(task));
  const held = tries.flatMap((t) => (t.ok ? [t.value] : []));
  const failure = tries.find((t) => !t.ok);
  if (!failure) return releaserOf(held);
  yield* releaserOf(held)();
  if (failure.error instanceof LockError) return undefined;
  throw failure.error;
}

/** Locks every path (real paths); gives a release of them all. */
export function* lockAll(paths: Iterable<string>, opts: LockAllOptions): Dual<ReleaseAll> {
  // One lock per file: two spellings of one name (letter case, where it does not count)
  // would otherwise be two locks on one lock folder, the second waiting for the first.
  const byKey = new Map<string, string>();
  for (const path of paths) byKey.set(pathKey(opts.disk.capabilities, path), path);
  const sorted = [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, path]) => path);
  const coordinator = opts.coordinator;
  if (coordinator) {
    if (sorted.length === 0) return function* () {};
    const held = yield* asyncOnly('lock', sorted[0] ?? '', 'a coordinator', () =>
      lockKeys(
        coordinator,
        sorted,
        { timeout: opts.timeout, shared: false, signal: opts.signal, holder: opts.holder },
        sorted[0] ?? '',
      ),
    );
    // Released asynchronously only: commitSync and recoverSync refuse a coordinator first.
    return function* () {
      try {
        yield* asyncOnly('unlock', sorted[0] ?? '', 'a lock kept in a coordinator', () => held.release());
      } catch {
        // A lock not released lapses with its lease once we are gone.
      }
    };
  }
  const fast = yield* tryAll(sorted, opts);
  if (fast) return fast;
  const held: HeldLock[] = [];
  try {
    const deadline = opts.timeout === undefined ? undefined : Date.now() + opts.timeout;
    for (const path of sorted) {
      const timeout = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
      held.push(yield* lockAs(path, { disk: opts.disk, timeout, signal: opts.signal }, opts.owner, true));
    }
  } catch (err) {
    yield* releaserOf(held)();
    throw err;
  }
  return releaserOf(held);
}
