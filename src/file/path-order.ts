/**
 * In-process ordering of writes to one path: each call takes a ticket when it is made,
 * and its final step (the rename) waits for the previous ticket's, so concurrent writes
 * to one path land in call order and the last call wins. Data is still written to the
 * temporary files in parallel; only the commit steps are ordered.
 */
import { KeyLines, type Place } from '../base/key-lines.js';

const lines = new KeyLines();

/** `turn`, `done()` and `first` as for any place in a line (base/key-lines.ts). */
export type Ticket = Place;

export function takeTicket(path: string): Ticket {
  return lines.take(path);
}
