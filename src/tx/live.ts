/**
 * The transactions and guards in progress in this process, for handleSignals(): on
 * SIGINT or SIGTERM each is asked to stop, and the process exits once all have settled.
 */
export interface Interruptible {
  /** Rolls back if the commit point is not reached, else finishes; resolves when settled. */
  interrupt(): Promise<void>;
}

const live = new Set<Interruptible>();

export function register(t: Interruptible): void {
  live.add(t);
}

export function unregister(t: Interruptible): void {
  live.delete(t);
}

export async function interruptAll(): Promise<void> {
  await Promise.allSettled([...live].map((t) => t.interrupt()));
}
