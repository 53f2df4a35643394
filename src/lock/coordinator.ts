/**
 * What a coordination service (etcd, say) does for atomicfs when processes on several
 * hosts share one folder: who holds a lock, whether a transaction's owner is alive, and
 * whether a transaction was committed or aborted. Process ids and host names cannot tell
 * that across containers (every one is pid 1); a lease in the service can.
 *
 * The core only knows this interface; `atomicfs/etcd` implements it, so that the etcd
 * client is loaded only by those who use it. Every method either answers or throws an
 * AtomicError with code ECOORDINATOR within `budgetMs` (or the coordinator's own request
 * timeout), and a call that failed must not leave anything held: an implementation that
 * cannot tell whether a claim went through drops it later by itself.
 */

export type Decision = 'committed' | 'aborted';

export interface ClaimResult {
  /** Every key was claimed for the holder (all or none). */
  claimed: boolean;
  /** Exclusive claims only: some key still has shared holders, to be waited for (hasReaders). */
  readers: boolean;
}

export interface Coordinator {
  /**
   * Claims every lock key for `holder`, all or none, under this process's lease (so the
   * claims die with the process or its connection). Exclusive: only if no key has an
   * exclusive holder; shared: likewise, adding `holder` as one of many readers.
   */
  claim(keys: readonly string[], holder: string, shared: boolean, budgetMs?: number): Promise<ClaimResult>;
  /** Whether any of the keys still has shared holders. */
  hasReaders(keys: readonly string[], budgetMs?: number): Promise<boolean>;
  /** Whether `holder` still holds every key (false once its lease was lost). */
  holds(keys: readonly string[], holder: string, exclusive: boolean, budgetMs?: number): Promise<boolean>;
  /** Drops `holder`'s claims on the keys that are still its own; false if any was not (lost). */
  release(keys: readonly string[], holder: string, shared: boolean, budgetMs?: number): Promise<boolean>;
  /** Marks transaction `id` alive for as long as this process's lease lives. */
  enter(id: string, budgetMs?: number): Promise<void>;
  /** The transaction is over in this process (whatever its journal says). */
  leave(id: string, budgetMs?: number): Promise<void>;
  /** Whether the owner of transaction `id` is alive (it entered and its lease lives). */
  isAlive(id: string, budgetMs?: number): Promise<boolean>;
  /**
   * THE COMMIT POINT of a coordinated transaction: records "committed" for `id`, in one
   * atomic step, only if no decision exists and `id` still holds every key in `keys`.
   * False if refused (a lock was lost, or recovery decided first).
   */
  decideCommit(id: string, keys: readonly string[], budgetMs?: number): Promise<boolean>;
  /** Records "aborted" for `id` unless a decision exists; resolves to the decision that stands. */
  decideAbort(id: string, budgetMs?: number): Promise<Decision>;
  /** The decision recorded for `id`, if any. */
  decision(id: string, budgetMs?: number): Promise<Decision | undefined>;
  /** Drops the decision of `id`: its journal is gone for good, nobody will ask again. */
  forget(id: string, budgetMs?: number): Promise<void>;
}

/** How long a coordinator request may take within a call that has `deadline` (ms since the epoch). */
export function budgetUntil(deadline: number): number | undefined {
  if (deadline === Infinity) return undefined;
  // A try with no time left (timeout 0) still gets one round trip.
  return Math.max(deadline - Date.now(), MIN_BUDGET_MS);
}

/** The least time one coordinator request is given, even by a call with `timeout: 0`. */
export const MIN_BUDGET_MS = 500;
