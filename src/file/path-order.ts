/**
 * In-process ordering of changes to one file: each call takes a ticket when it is made,
 * and its final step (the rename) waits for the earlier tickets on the same file, so
 * concurrent writes land in call order and the last call wins. Data is still written to
 * the temporary files in parallel; only the commit steps are ordered.
 *
 * "The same file" is the real file, not the spelling: a write through a symbolic link
 * (or a link to its folder) and one to the target are ordered too. The real path costs
 * disk calls, so it is only learnt when a ticket has earlier ones pending (a lone
 * writer's turn is immediate), and once per ticket.
 */

interface Entry {
  /** The path as named (absolute): the cheap, synchronous guess at the file. */
  readonly named: string;
  /** Tickets taken together by one call (a move's two ends) never wait for each other. */
  readonly group: object;
  readonly realOf: () => Promise<string>;
  real: Promise<string> | undefined;
  readonly finished: Promise<void>;
}

/** Pending tickets, in call order (a Set iterates in insertion order). */
const pending = new Set<Entry>();
/** Pending tickets per path as named, for `first`. */
const namedCount = new Map<string, number>();

export interface Ticket {
  /**
   * Resolves when every earlier change to the same real file has committed or failed.
   * `onWait` runs first if it has to wait for one (a writer that announced its rename
   * withdraws the announcement there: a folder sync must not wait for it meanwhile).
   */
  turn(onWait?: () => void): Promise<void>;
  /** Must be called exactly once, after this writer's commit step ended either way. */
  done(): void;
  /** No earlier change to the path as named was pending when the ticket was taken. */
  first: boolean;
}

function realOf(entry: Entry): Promise<string> {
  // A path that cannot be resolved (a loop, a permission) is keyed as named: its own
  // call reports the problem.
  return (entry.real ??= entry.realOf().catch(() => entry.named));
}

/**
 * Takes a ticket for `named` (absolute). `real` resolves the real file, called only if
 * needed; `group` ties the tickets of one call together.
 */
export function takeTicket(named: string, real: () => Promise<string>, group: object = {}): Ticket {
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const entry: Entry = { named, group, realOf: real, real: undefined, finished };
  const count = namedCount.get(named) ?? 0;
  namedCount.set(named, count + 1);
  // Snapshot of those before us: only they can make us wait.
  const earlier = pending.size === 0 ? undefined : [...pending].filter((e) => e.group !== group);
  pending.add(entry);
  let ended = false;
  return {
    first: count === 0,
    turn: (onWait) => (earlier === undefined || earlier.length === 0 ? Promise.resolve() : waitFor(entry, earlier, onWait)),
    done: () => {
      if (ended) return;
      ended = true;
      pending.delete(entry);
      const left = (namedCount.get(named) ?? 1) - 1;
      if (left > 0) namedCount.set(named, left);
      else namedCount.delete(named);
      done();
    },
  };
}

async function waitFor(entry: Entry, earlier: readonly Entry[], onWait: (() => void) | undefined): Promise<void> {
  const live = earlier.filter((e) => pending.has(e));
  if (live.length === 0) return;
  const [mine, ...theirs] = await Promise.all([realOf(entry), ...live.map(realOf)]);
  const same = live.filter((e, i) => theirs[i] === mine && pending.has(e));
  if (same.length === 0) return;
  onWait?.();
  await Promise.all(same.map((e) => e.finished));
}
