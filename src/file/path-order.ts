/**
 * In-process ordering of writes to one path: each call takes a ticket when it is made,
 * and its final step (the rename) waits for the previous ticket's, so concurrent writes
 * to one path land in call order and the last call wins. Data is still written to the
 * temporary files in parallel; only the commit steps are ordered.
 */
import { pathKey, type Disk } from '../disk/index.js';

const tails = new Map<string, Promise<void>>();

export interface Ticket {
  /** Resolves when every earlier writer to the path has committed or failed. */
  turn: Promise<void>;
  /** Must be called exactly once, after this writer's commit step ended either way. */
  done(): void;
  /** No earlier writer to the path was pending when the ticket was taken: `turn` is resolved. */
  first: boolean;
}

/** A ticket for writing `path` (absolute); two spellings of one name on `disk` share a line. */
export function takeTicket(disk: Disk, path: string): Ticket {
  return ticketFor(pathKey(disk.capabilities, path));
}

/** Tickets for several paths, one per file (a move between two spellings of a name takes one). */
export function takeTickets(disk: Disk, paths: readonly string[]): Ticket[] {
  return [...new Set(paths.map((p) => pathKey(disk.capabilities, p)))].map(ticketFor);
}

function ticketFor(path: string): Ticket {
  const pending = tails.get(path);
  const previous = pending ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  const tail = previous.then(() => mine);
  tails.set(path, tail);
  void tail.then(() => {
    if (tails.get(path) === tail) tails.delete(path);
  });
  return { turn: previous, done, first: pending === undefined };
}
