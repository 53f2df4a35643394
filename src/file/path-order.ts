/**
 * In-process ordering of writes to one path: each call takes a ticket when it is made,
 * and its final step (the rename) waits for the previous ticket's, so concurrent writes
 * to one path land in call order and the last call wins. Data is still written to the
 * temporary files in parallel; only the commit steps are ordered.
 */
import { pathKey, type Disk } from '../disk/index.js';
import { KeyLines, type Place } from '../base/key-lines.js';

const lines = new KeyLines();

/** `turn`, `done()` and `first` as for any place in a line (base/key-lines.ts). */
export type Ticket = Place;

/** A ticket for writing `path` (absolute); two spellings of one name on `disk` share a line. */
export function takeTicket(disk: Disk, path: string): Ticket {
  return lines.take(pathKey(disk.capabilities, path));
}

/** Tickets for several paths, one per file (a move between two spellings of a name takes one). */
export function takeTickets(disk: Disk, paths: readonly string[]): Ticket[] {
  return [...new Set(paths.map((p) => pathKey(disk.capabilities, p)))].map((key) => lines.take(key));
}
