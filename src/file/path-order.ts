/**
 * In-process ordering of changes to one file: each call takes a ticket when it is made,
 * and its final step (the rename) waits for the earlier tickets on the same file, so
 * concurrent writes land in call order and the last call wins. Data is still written to
 * the temporary files in parallel; only the commit steps are ordered.
 *
 * "The same file" is the real file, not the spelling: a write through a symbolic link
 * (or a link to its folder) and one to the target are ordered too. The real path costs a
 * disk call, so it is only learnt when some ticket has earlier ones pending (a lone
 * writer's turn is immediate), and once per ticket. A turn waits until every earlier
 * ticket's real path is known (one promise chained per ticket, not a scan of them all),
 * then for the earlier tickets on its own real path, found by map. Paths are compared as
 * the disk compares them (letter case does not count on Windows).
 *
 * One case needs no real path at all: when every pending ticket is a write whose target is
 * resolved (through its own links) into one folder, spelt alike. One spelling is one
 * folder, so two of them are the same file only under the same name (a burst of writes
 * into one folder, the common case of overlapping writes). A write that will know its
 * target soon (takeWriteTicket: nothing slow comes before its lstat is joined) counts
 * towards that case before it knows it: a later write waits for the earlier ones to tell
 * their targets, which their lstats, already under way, are about to do, rather than learn
 * every real path because one of those lstats came back after its own turn.
 *
 * A synchronous call cannot wait for an asynchronous one: nothing it could wait for runs
 * until it returns. If a change to the same real file from this process is still in
 * flight (called and not yet settled), the synchronous call fails with EPENDING before it
 * changes anything, rather than land out of call order. Await the asynchronous call first.
 */
import { pathKey, type Disk } from '../disk/index.js';
import {
  atOnce,
  NOTHING_DONE,
  type AtOnceForms,
  runAsync,
  runSync,
  step,
  type Dual,
  type Forms,
} from '../disk/dual.js';
import { dirname } from 'node:path';
import { AtomicError } from '../base/errors.js';
import { realish, realOfResolved } from './real-path.js';

/** A ticket, and its place among the pending ones. */
class Entry implements Ticket {
  // Declared, and set in the constructor only, as OneStep's are (dual.ts): one is made per write.
  /** The path as named (absolute): what a path that cannot be resolved is keyed by. */
  declare readonly named: string;
  /** The path as the caller gave it, for EPENDING's message. */
  declare readonly path: string;
  /** Tickets taken together by one call (a move's two ends) never wait for each other. */
  declare readonly group: object;
  /** Call order. */
  declare readonly seq: number;
  /** Resolves the real path (called only if needed); by default, the path's real name (realish). */
  declare readonly resolveReal: (() => Dual<string>) | undefined;
  /** Where the path's own symbolic links lead, once its caller knows (see Ticket). */
  declare resolved: string | undefined;
  /** Its key and its folder's, while counted among the resolved writes (see resolvedTo). */
  declare resolvedKey: string | undefined;
  declare folderKey: string | undefined;
  declare readonly disk: Disk;
  /** No other ticket was pending when this one was taken: its turn is immediate. */
  declare readonly alone: boolean;
  declare readonly first: boolean;
  declare real: Promise<string> | undefined;
  /** The real path's key once known. */
  declare realKey: string | undefined;
  /** The ticket taken just before this one, until `through` has linked past it. */
  declare prev: Entry | undefined;
  /** Settles once this ticket's real path and those of all before it are known (or they ended). */
  declare through: Promise<unknown> | undefined;
  /** Made only when another ticket has to wait for this one. */
  declare finished: Promise<void> | undefined;
  declare finish: (() => void) | undefined;
  declare ended: boolean;
  /** Neighbours in the list of pending tickets. */
  declare older: Entry | undefined;
  declare newer: Entry | undefined;
  /** A write that will tell its target soon and has not yet (takeWriteTicket), and its neighbours in that list. */
  declare untold: boolean;
  declare olderUntold: Entry | undefined;
  declare newerUntold: Entry | undefined;

  constructor(
    disk: Disk,
    named: string,
    path: string,
    real: (() => Dual<string>) | undefined,
    group: object,
    first: boolean,
  ) {
    this.named = named;
    this.path = path;
    this.group = group;
    this.seq = ++lastSeq;
    this.resolveReal = real;
    this.resolved = undefined;
    this.resolvedKey = undefined;
    this.folderKey = undefined;
    this.disk = disk;
    this.alone = pending.count === 0;
    this.first = first;
    this.real = undefined;
    this.realKey = undefined;
    this.prev = this.alone ? undefined : last;
    this.through = undefined;
    this.finished = undefined;
    this.finish = undefined;
    this.ended = false;
    this.older = undefined;
    this.newer = undefined;
    this.untold = false;
    this.olderUntold = undefined;
    this.newerUntold = undefined;
  }

  resolvedTo(target: string): void {
    this.resolved = target;
    if (this.untold) told(this);
    // Counted only when another ticket is pending: a lone writer's turn is immediate, and a
    // later one that finds it uncounted takes the real paths' way (see the header).
    if (this.ended || pending.count === 1) return;
    const caps = this.disk.capabilities;
    const key = (this.resolvedKey = pathKey(caps, target));
    const folder = (this.folderKey = pathKey(caps, dirname(target)));
    resolvedIn.set(folder, (resolvedIn.get(folder) ?? 0) + 1);
    enter(byResolved, key, this);
  }

  turn(waiter?: Waiter): Dual<void> {
    return step(TURN, this, waiter);
  }

  done(): void {
    if (this.ended) return;
    this.ended = true;
    pending.remove(this);
    namedCount.set(this.named, (namedCount.get(this.named) ?? 1) - 1);
    if (this.folderKey !== undefined) uncount(this, this.folderKey, this.resolvedKey!);
    if (this.untold) told(this);
    if (pending.count === 0 && namedCount.size > NAMED_KEPT) namedCount.clear();
    void this.real?.then((key) => leave(byReal, key, this));
    this.finish?.();
  }
}

/**
 * A ticket's turn: immediate for a lone ticket; driven synchronously, EPENDING if it would
 * have to wait (see above); driven asynchronously, a promise only if it has to wait.
 */
const TURN: Forms<void, Entry, Waiter | undefined> = {
  sync: (entry) => (entry.alone ? undefined : refuseIfPending(entry)),
  async: (entry, waiter) => (entry.alone ? undefined : waitFor(entry, waiter)),
};

/** Resolves once `e` is done. */
function finishedOf(e: Entry): Promise<void> {
  if (e.ended) return Promise.resolve();
  return (e.finished ??= new Promise<void>((resolve) => (e.finish = resolve)));
}

/** The key of a ticket's real path (a top-level generator: see write-file.ts). */
function* realKeyOf(e: Entry): Dual<string> {
  const real = e.resolveReal
    ? yield* e.resolveReal()
    : e.resolved !== undefined
      ? yield* realOfResolved(e.disk, e.resolved)
      : yield* realish(e.disk, e.path);
  return pathKey(e.disk.capabilities, real);
}

let lastSeq = 0;
let last: Entry | undefined;
/** Tickets not yet done, by real path, once it is known. */
const byReal = new Map<string, Set<Entry>>();
/** Tickets not yet done whose write's target is resolved (resolvedTo): by its key, and how many per folder. */
const byResolved = new Map<string, Set<Entry>>();
const resolvedIn = new Map<string, number>();

function uncount(e: Entry, folder: string, key: string): void {
  const left = (resolvedIn.get(folder) ?? 1) - 1;
  if (left === 0) resolvedIn.delete(folder);
  else resolvedIn.set(folder, left);
  leave(byResolved, key, e);
}

/** `e` into the set of pending tickets under `key`. */
function enter(index: Map<string, Set<Entry>>, key: string, e: Entry): void {
  let same = index.get(key);
  if (!same) index.set(key, (same = new Set()));
  same.add(e);
}

/** `e` out of the set under `key`, and the set out of the map once empty. */
function leave(index: Map<string, Set<Entry>>, key: string, e: Entry): void {
  const same = index.get(key);
  same?.delete(e);
  if (same?.size === 0) index.delete(key);
}
/**
 * Tickets not yet done, per path as named, for `first`. A count that falls to 0 stays
 * (a path written again and again costs no table churn); the map is emptied once no
 * ticket is pending and it has grown past NAMED_KEPT paths.
 */
const namedCount = new Map<string, number>();
const NAMED_KEPT = 256;
/**
 * Tickets in the order taken, linked through their own fields (`older`/`newer`, or the
 * untold pair): taking and ending one allocates nothing.
 */
class TicketList {
  oldest: Entry | undefined = undefined;
  newest: Entry | undefined = undefined;
  count = 0;

  constructor(
    private readonly olderOf: 'older' | 'olderUntold',
    private readonly newerOf: 'newer' | 'newerUntold',
  ) {}

  /** `e` in, as the newest. */
  add(e: Entry): void {
    e[this.olderOf] = this.newest;
    if (this.newest) this.newest[this.newerOf] = e;
    else this.oldest = e;
    this.newest = e;
    this.count++;
  }

  remove(e: Entry): void {
    const older = e[this.olderOf];
    const newer = e[this.newerOf];
    if (older) older[this.newerOf] = newer;
    else this.oldest = newer;
    if (newer) newer[this.olderOf] = older;
    else this.newest = older;
    e[this.olderOf] = e[this.newerOf] = undefined;
    this.count--;
  }
}

/** Tickets not yet done, oldest first (a synchronous caller's check walks them, see above). */
const pending = new TicketList('older', 'newer');
/**
 * Writes that will tell their target soon (takeWriteTicket) and have not yet, oldest
 * first; `toldSome` settles when the oldest of them tells (or ends), for the turns
 * waiting on it.
 */
const untold = new TicketList('olderUntold', 'newerUntold');
let toldSome: { promise: Promise<void>; resolve: () => void } | undefined;

/** A writer told when its turn has to wait for an earlier one. */
export interface Waiter {
  /** A writer that announced its rename withdraws the announcement: a folder sync must not wait for it meanwhile. */
  withdrawAnnouncement(): void;
}

export interface Ticket {
  /**
   * Resolves when every earlier change to the same real file has committed or failed;
   * `waiter` is told first if it has to wait for one. Driven synchronously, fails with
   * EPENDING instead of waiting (see above).
   */
  turn(waiter?: Waiter): Dual<void>;
  /** Must be called exactly once, after this writer's commit step ended either way. */
  done(): void;
  /** No earlier change to the path as named was pending when the ticket was taken. */
  readonly first: boolean;
  /**
   * Tells the ticket the file the path leads to through its own symbolic links, once the
   * caller has resolved it (a write's target): its real path then costs at most its
   * folder's, shared by writers into one folder (realOfResolved), and often nothing (see
   * the header).
   */
  resolvedTo(target: string): void;
}

/** The real path of a ticket, learnt once; a path that cannot be resolved is keyed as named (its own call reports the problem). */
function realOf(e: Entry): Promise<string> {
  const known = (real: string): string => {
    e.realKey = real;
    if (!e.ended) {
      enter(byReal, real, e);
    }
    return real;
  };
  return (e.real ??= runAsync(realKeyOf(e)).then(known, () => known(e.named)));
}

function through(e: Entry): Promise<unknown> {
  if (e.through) return e.through;
  const before = e.prev ? through(e.prev) : undefined;
  e.prev = undefined; // linked: an ended ticket before it can be collected
  const mine = e.ended ? undefined : realOf(e);
  // Settled once both are: the earlier tickets' real paths and this one's.
  e.through = before && mine ? Promise.all([before, mine]) : (before ?? mine ?? Promise.resolve());
  return e.through;
}

/**
 * Takes a ticket for `path` (absolute). `real` resolves the real file, called only if
 * needed (by default the path's real name, realish, or its resolved target's); `group`
 * ties the tickets of one call together.
 */
export function takeTicket(disk: Disk, path: string, real?: () => Dual<string>, group: object = {}): Ticket {
  return newTicket(disk, path, real, group);
}

/** A new ticket, the newest of the pending ones. */
function newTicket(disk: Disk, path: string, real: (() => Dual<string>) | undefined, group: object): Entry {
  const named = pathKey(disk.capabilities, path);
  const count = namedCount.get(named) ?? 0;
  const entry = new Entry(disk, named, path, real, group, count === 0);
  last = entry;
  pending.add(entry);
  namedCount.set(named, count + 1);
  return entry;
}

/**
 * A write's ticket for `path` (absolute), taken at the call (a step taken at once, driven
 * either way: dual.ts). With `tellsSoon`, the write tells its target (resolvedTo) before
 * anything slow: its open and its lstat are under way, and what comes between them and the
 * telling is quick (content of a bounded size written, a link walked). Later writes into
 * the same folder then wait for it to tell rather than learn real paths. `hooks`: the
 * write runs the caller's code (a backup or audit hook) before it commits.
 */
export function takeWriteTicket(disk: Disk, path: string, tellsSoon: boolean, hooks: boolean): Ticket {
  return atOnce(WRITE_TICKET, disk, path, tellsSoon, hooks);
}

const WRITE_TICKET: AtOnceForms<Ticket, Disk, string, boolean, boolean> = {
  // Driven synchronously, nothing else of this process runs until the write returns. With
  // no change in flight, and no hook to run the caller's code meanwhile (which could start
  // a synchronous write of its own to the same file), nothing can be ordered with this
  // write: it needs no place in line.
  sync: (disk, path, tellsSoon, hooks) =>
    pending.count === 0 && !hooks ? OUT_OF_LINE : newWriteTicket(disk, path, tellsSoon),
  async: newWriteTicket,
};

function newWriteTicket(disk: Disk, path: string, tellsSoon: boolean): Ticket {
  const entry = newTicket(disk, path, undefined, {});
  if (tellsSoon) {
    entry.untold = true;
    untold.add(entry);
  }
  return entry;
}

/** The ticket of a write that nothing can be ordered with (see WRITE_TICKET): its turn is now. */
const OUT_OF_LINE: Ticket = {
  first: true,
  turn: () => NOTHING_DONE,
  done: () => undefined,
  resolvedTo: () => undefined,
};

/** `e` has told its target, or ended: out of the untold list; the turns waiting on the oldest look again. */
function told(e: Entry): void {
  e.untold = false;
  const wasOldest = untold.oldest === e;
  untold.remove(e);
  if (wasOldest && toldSome) {
    const { resolve } = toldSome;
    toldSome = undefined;
    resolve();
  }
}

/** A synchronous caller's turn: EPENDING if an earlier change to its real file is in flight. */
function refuseIfPending(entry: Entry): void {
  const path = entry.path;
  const mine = realNow(entry);
  for (let e = pending.oldest; e; e = e.newer) {
    if (e.seq >= entry.seq || e.group === entry.group || e.ended) continue;
    if (realNow(e) !== mine) continue;
    throw new AtomicError(
      'EPENDING',
      `${path}: an asynchronous change to this file from this process is still in flight; a synchronous call cannot wait for it (await it first)`,
      { path },
    );
  }
}

/** A ticket's real path, learnt now if it is not known yet. */
function realNow(e: Entry): string {
  if (e.realKey !== undefined) return e.realKey;
  try {
    return (e.realKey = runSync(realKeyOf(e)));
  } catch {
    return e.named;
  }
}

/** A turn driven asynchronously: once the earlier tickets on the same file are done. */
function waitFor(entry: Entry, waiter: Waiter | undefined): Promise<void> | undefined {
  const folder = entry.folderKey;
  // Every pending ticket a write resolved into this folder, or about to tell where it
  // resolves (see the header): by name, once the earlier ones have told.
  if (folder !== undefined && (resolvedIn.get(folder) ?? 0) + untold.count === pending.count) {
    if (untold.oldest !== undefined && untold.oldest.seq < entry.seq) return afterTold(entry, waiter);
    return afterEarlier(entry, byResolved.get(entry.resolvedKey!), waiter);
  }
  return waitThrough(entry, waiter);
}

/** The turn, looked at again once the oldest write yet to tell its target has told. */
async function afterTold(entry: Entry, waiter: Waiter | undefined): Promise<void> {
  if (!toldSome) {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    toldSome = { promise, resolve };
  }
  await toldSome.promise;
  await waitFor(entry, waiter);
}

/** The turn once the real paths up to this ticket are known: by real path. */
async function waitThrough(entry: Entry, waiter: Waiter | undefined): Promise<void> {
  await through(entry);
  await afterEarlier(entry, byReal.get(await realOf(entry)), waiter);
}

/** Settles once the tickets of `same` taken before `entry` (and not its own call's) are done; nothing if there are none. */
function afterEarlier(
  entry: Entry,
  same: Set<Entry> | undefined,
  waiter: Waiter | undefined,
): Promise<void> | undefined {
  let earlier: Promise<void>[] | undefined;
  if (same) {
    for (const e of same) {
      if (e.seq < entry.seq && e.group !== entry.group && !e.ended) (earlier ??= []).push(finishedOf(e));
    }
  }
  if (!earlier) return undefined;
  waiter?.withdrawAnnouncement();
  return Promise.all(earlier).then(() => undefined);
}
