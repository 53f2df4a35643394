/**
 * Cross-process locks, exclusive or shared, on a path that need not exist.
 *
 * A writer first claims `x` (a record linked into the lock folder: only one link can
 * succeed), then waits until no shared holder remains. A reader creates its own
 * `s-<token>` record and then checks that no `x` exists, backing off if one does. Because
 * the writer looks for readers only after its claim is visible, and the reader looks for
 * a writer only after its record is visible, at least one of them always sees the other:
 * a writer and a reader never both hold the lock. Writers that wait block new readers,
 * so writers are not starved.
 *
 * A holder that died is taken over: at once when it ran on this host (its pid is gone),
 * else after `staleMs` without a refresh of its record.
 *
 * An exclusive holder with an owner file (lockAs) may hold the lock as a link instead of
 * a folder; see lock-link.ts.
 */
import { asyncOnly } from '../base/async-only.js';
import { join, resolve } from 'node:path';
import type { Disk } from '../disk/index.js';
import { abortError } from '../base/abort.js';
import { AtomicError, errorCode, fsError, invalidArg, LockError } from '../base/errors.js';
import { checkOptions } from '../base/options-check.js';
import { pathArg, type PathLike } from '../file/check-path.js';
import { diskOf, type BaseOptions, type SyncOptions } from '../file/options.js';
import {
  EXCLUSIVE,
  SHARED_PREFIX,
  asideOf,
  breakIfStale,
  isOurs,
  isStale,
  createRecord,
  dropToken,
  holdToken,
  lockDirFor,
  newRecord,
  quietly,
  readRecord,
  removeRecord,
  type LockRecord,
  type RecordEntry,
} from './lock-record.js';
import { tryLink, type LockOwner } from './lock-link.js';
import { realish } from '../file/real-path.js';
import { lockKeys, type CoordinatedLock } from './coordinated-lock.js';
import type { Coordinator } from './coordinator.js';
import { call, isSync, runAsync, runSync, sleep, type Dual } from '../disk/dual.js';
import * as io from '../disk/io.js';

export interface LockOptions extends BaseOptions {
  /** Give up after this many ms with LockError (ELOCKED); wait forever if not given. */
  timeout?: number | undefined;
  /** A shared (read) lock: many shared holders at once, none while an exclusive one holds. */
  shared?: boolean | undefined;
  /** How long a holder on another host may go without refreshing before it counts as dead (default 30 s). */
  staleMs?: number | undefined;
  /**
   * Called once if the lock is lost while held (its record removed or taken over by
   * another holder): the holder must stop relying on it. The lock's `signal` fires too.
   */
  onCompromised?: ((err: AtomicError) => void) | undefined;
  /**
   * Keep the lock in a coordination service (`etcdCoordinator` from `atomicfs/etcd`)
   * instead of beside the file: for processes on several hosts sharing the folder.
   */
  coordinator?: Coordinator | undefined;
}

/** lockSync()'s options: lock()'s, less `signal` and `coordinator` (both asynchronous only). */
export type LockSyncOptions = Omit<SyncOptions<LockOptions>, 'coordinator'>;

export type Release = () => Promise<void>;

/** A release that can also run synchronously. Either way, the release runs once: a second call gets the first one's outcome. */
export interface DualRelease extends Release {
  /**
   * The release, synchronously (the same protocol as calling it, disk/dual.ts): throws
   * what the call would reject with. EPENDING if an asynchronous release of this lock
   * is still in flight.
   */
  releaseSync(): void;
}

/**
 * A held lock: call it to release, or call its `releaseSync()`. `signal` aborts if the
 * lock is lost while held (with an ECOMPROMISED error as its reason). A release never
 * removes a lock that is not the holder's own; after a loss it rejects with
 * ECOMPROMISED, unless `onCompromised` was given (the holder has been told already).
 */
export interface HeldLock extends DualRelease {
  readonly signal: AbortSignal;
  /** The real path locked (links followed). */
  readonly path: string;
}

interface Attempt {
  disk: Disk;
  path: string;
  dir: string;
  staleMs: number;
  record: LockRecord;
  /** Exclusive holders only: the owner file to link as the lock, while that works. */
  owner: LockOwner | undefined;
  /** The lock is held as a link to the owner file (not as a folder). */
  linked: boolean;
  /** Aborted when the lock is found lost while held. */
  lost: AbortController;
  onCompromised: ((err: AtomicError) => void) | undefined;
  /** Taken by a caller's lock() (not for a transaction or updateJson): unlock() can release it. */
  forCaller: boolean;
}

const MAX_POLL_MS = 100;

export async function lock(path: PathLike, opts: LockOptions = {}): Promise<HeldLock> {
  const p = pathArg('lock', path, 'path', false);
  checkOptions('lock', 'lock', p, opts);
  if (opts.coordinator) return coordinatedHandle(await lockCoordinated(p, opts, opts.coordinator), p, opts);
  return runAsync(lockAs(p, opts, undefined, false, true));
}

/**
 * lock(), synchronously: the same protocol (disk/dual.ts), waiting between tries with
 * the thread blocked (Atomics.wait), not spinning. Its `releaseSync()` releases it
 * synchronously (calling it releases it asynchronously, as lock()'s).
 *
 * Held by another process: waits until it is released (or its holder found dead, as
 * lock() does), or until `timeout` ms have passed (LockError, ELOCKED). Held by this very
 * process (a lock() or lockSync() not yet released, a transaction or updateJson under
 * way): fails at once with ELOCKED saying so, since nothing in this process can release
 * it while the thread is blocked.
 */
export function lockSync(path: PathLike, opts: LockSyncOptions = {}): HeldLock {
  const p = pathArg('lockSync', path, 'path', false);
  checkOptions('lock', 'lockSync', p, opts, true);
  return runSync(lockAs(p, opts, undefined, false, true));
}

/** A library call's own lock (updateJson's), as steps: its release, and whether it is still held. */
export interface HeldSteps {
  release: () => Dual<void>;
  stillHeld: () => Dual<boolean>;
}

/** What a coordinated lock's steps cannot do synchronously: a coordination service answers asynchronously. */
const COORDINATED = 'a coordinator (option coordinator)';

/** lock() for a library call of its own (updateJson), also saying whether the lock is still held. */
export function* lockHeld(path: string, opts: LockOptions, op = 'updateJson'): Dual<HeldSteps> {
  const coordinator = opts.coordinator;
  if (coordinator) {
    const held = yield* asyncOnly(op, path, COORDINATED, () => lockCoordinated(path, opts, coordinator));
    return {
      release: () => asyncOnly(op, path, COORDINATED, () => held.release()),
      stillHeld: () => asyncOnly(op, path, COORDINATED, () => held.stillHeld()),
    };
  }
  const held = yield* lockAs(path, opts, undefined);
  return {
    release: () => releasing(held),
    stillHeld: () =>
      call(
        () => !held.signal.aborted,
        () => !held.signal.aborted,
      ),
  };
}

/** The release of `held` as a step of a protocol: its release() or its releaseSync(), by the way it is driven. */
export function releasing(held: DualRelease): Dual<void> {
  return call(
    () => held.releaseSync(),
    () => held(),
  );
}

async function lockCoordinated(path: string, opts: LockOptions, coordinator: Coordinator): Promise<CoordinatedLock> {
  // Keyed on the real file, as a lock beside the file is: every spelling finds one key.
  const real = await runAsync(realish(diskOf(opts), resolve(path))).catch((err: unknown) => {
    throw fsError(err, 'lock', path);
  });
  return lockKeys(
    coordinator,
    [real],
    { timeout: opts.timeout, shared: opts.shared === true, signal: opts.signal },
    path,
  );
}

/**
 * A coordinated lock as a caller's handle: its loss (the lease expired) is learnt when it
 * is released, which then fires the signal and onCompromised like a lost lock beside the file.
 */
function coordinatedHandle(held: CoordinatedLock, path: string, opts: LockOptions): HeldLock {
  const lost = new AbortController();
  const release = async (): Promise<void> => {
    try {
      await held.release();
    } catch (err) {
      if (!lost.signal.aborted && err instanceof AtomicError) {
        lost.abort(err);
        opts.onCompromised?.(err);
      }
      throw err;
    }
  };
  const releaseSync = (): void => {
    throw invalidArg('release', path, 'a lock held through a coordinator is released asynchronously only');
  };
  return Object.assign(release, { releaseSync, signal: lost.signal, path: resolve(path) });
}

/**
 * lock(), an exclusive one held as a link to `owner` where the file system allows it.
 * `isReal`: `path` is a real path already (a transaction's). `forCaller`: a caller's own
 * lock, which unlock(path) may release (not one a library call holds for its own work).
 */
export function* lockAs(
  path: string,
  opts: LockOptions,
  owner: LockOwner | undefined,
  isReal = false,
  forCaller = false,
): Dual<HeldLock> {
  const disk = diskOf(opts);
  // The lock belongs to the file, not the spelling: through a link, a chain of links or a
  // link to its folder, every caller finds the one lock beside the real file.
  let abs = resolve(path);
  if (!isReal)
    try {
      abs = yield* realish(disk, abs);
    } catch (err) {
      throw fsError(err, 'lock', path);
    }
  const shared = opts.shared === true;
  const a: Attempt = {
    disk,
    path: abs,
    dir: lockDirFor(abs),
    staleMs: opts.staleMs ?? 30_000,
    record: (!shared && owner?.record) || newRecord(),
    owner: shared ? undefined : owner,
    linked: false,
    lost: new AbortController(),
    onCompromised: opts.onCompromised,
    forCaller,
  };
  const deadline = opts.timeout === undefined ? Infinity : Date.now() + opts.timeout;
  const name = shared ? SHARED_PREFIX + a.record.token : EXCLUSIVE;
  let delay = 2;
  let claimed = false;
  holdToken(a.record.token); // before our record can exist: see lock-record.ts
  try {
    for (;;) {
      if (opts.signal?.aborted) throw abortError(opts.signal, 'lock', path);
      if (!claimed) claimed = shared ? yield* tryShared(a) : yield* tryExclusive(a);
      if (a.linked) return holding(a, a.dir);
      if (claimed && (shared || (yield* readersGone(a)))) return holding(a, join(a.dir, name));
      // Driven synchronously, nothing else in this process runs while we wait.
      if ((yield* isSync()) && (yield* heldHere(a))) throw heldHereError(path);
      if (Date.now() >= deadline) {
        throw new LockError(path, `still locked by another holder after ${opts.timeout ?? 0} ms`);
      }
      yield* sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
      delay = Math.min(MAX_POLL_MS, delay * 2) * (0.75 + Math.random() * 0.5);
    }
  } catch (err) {
    if (claimed) yield* quietly(removeOwn(a, join(a.dir, name)));
    dropToken(a.record.token);
    if (err instanceof LockError || errorCode(err) === 'ABORT_ERR') throw err;
    throw fsError(err, 'lock', path);
  }
}

/**
 * Whether a live record of this very process (other than this attempt's) holds the lock:
 * a synchronous caller could wait for it forever.
 */
function* heldHere(a: Attempt): Dual<boolean> {
  let records: string[];
  try {
    records = yield* recordPaths(a.disk, a.dir);
  } catch {
    return false; // cannot look now: the next try will tell
  }
  for (const r of records) {
    let entry: RecordEntry | undefined;
    try {
      entry = yield* readRecord(a.disk, r, false);
    } catch {
      continue;
    }
    if (entry?.record?.token !== a.record.token && isOurs(entry)) return true;
  }
  return false;
}

/**
 * The record files of the lock at `dir`: the folder's exclusive and shared records, the
 * lock itself when it is a link (lock-link.ts), none when nothing is there, or when the
 * folder was released between the look at it and its listing.
 */
function* recordPaths(disk: Disk, dir: string): Dual<string[]> {
  const st = yield* io.lstatIfAny(disk, dir);
  if (!st) return [];
  if (!st.isDirectory()) return [dir];
  let names: string[];
  try {
    names = yield* io.readdir(disk, dir);
  } catch {
    return []; // released meanwhile: no holder
  }
  return names.filter((n) => n === EXCLUSIVE || n.startsWith(SHARED_PREFIX)).map((n) => join(dir, n));
}

function heldHereError(path: string): LockError {
  return new LockError(
    path,
    'the lock is held by this process (a lock() or lockSync() not yet released, or a transaction or updateJson under way); a synchronous call cannot wait for it, since nothing else in this process runs while it blocks (release it first, or use lock())',
  );
}

/** The link form while it works (lock-link.ts), else the folder form. */
function* tryExclusive(a: Attempt): Dual<boolean> {
  if (a.owner) {
    const got = yield* tryLink(a.disk, a.owner, a.dir, a.staleMs);
    if (got === 'held') a.linked = true;
    if (got === 'held' || got === 'busy') return a.linked;
    if (got === 'unsupported') a.owner = undefined;
  }
  return yield* tryClaimExclusive(a);
}

function* ensureDir(a: Attempt): Dual<void> {
  try {
    yield* io.mkdir(a.disk, a.dir, 0o777);
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
  }
}

/**
 * The code of a failed create inside the lock folder, as POSIX gives it. Where the lock is
 * a file (a link, lock-link.ts), POSIX says ENOTDIR, but Windows says ENOENT, which would
 * read as a folder removed meanwhile and be retried forever: there a look tells the two
 * apart.
 */
function* failureIn(a: Attempt, err: unknown): Dual<string | undefined> {
  const code = errorCode(err);
  if (code !== 'ENOENT') return code;
  let isDir = true;
  try {
    isDir = (yield* io.lstat(a.disk, a.dir)).isDirectory();
  } catch {
    // Gone: ENOENT as said.
  }
  return isDir ? code : 'ENOTDIR';
}

/** Tries to create `x`; false if another live holder has it. */
function* tryClaimExclusive(a: Attempt): Dual<boolean> {
  yield* ensureDir(a);
  try {
    yield* createRecord(a.disk, a.dir, EXCLUSIVE, a.record);
    return true;
  } catch (err) {
    const code = yield* failureIn(a, err);
    // ENOENT: a releasing holder removed the empty lock folder meanwhile; try again.
    if (code === 'ENOENT') return false;
    // ENOTDIR: the lock is a link (lock-link.ts), held by an exclusive holder.
    if (code === 'ENOTDIR') return yield* breakLink(a);
    if (code !== 'EEXIST') throw err;
  }
  yield* breakIfStale(a.disk, join(a.dir, EXCLUSIVE), a.staleMs);
  return false;
}

/** Adds our shared record, keeping it only if no exclusive holder is there. */
function* tryShared(a: Attempt): Dual<boolean> {
  if (yield* liveExclusive(a)) return false;
  yield* ensureDir(a);
  const mine = SHARED_PREFIX + a.record.token;
  try {
    yield* createRecord(a.disk, a.dir, mine, a.record);
  } catch (err) {
    const code = yield* failureIn(a, err);
    if (code === 'ENOENT') return false;
    if (code === 'ENOTDIR') return yield* breakLink(a);
    throw err;
  }
  if (!(yield* liveExclusive(a))) return true;
  yield* quietly(io.unlink(a.disk, join(a.dir, mine)));
  return false;
}

function* liveExclusive(a: Attempt): Dual<boolean> {
  let entry: RecordEntry | undefined;
  try {
    entry = yield* readRecord(a.disk, join(a.dir, EXCLUSIVE));
  } catch (err) {
    if (errorCode(err) !== 'ENOTDIR') throw err;
    yield* breakLink(a); // the lock is a link: an exclusive holder, unless it was dead
    return true; // look again after a pause
  }
  if (!entry) return false;
  if (!isStale(entry, a.staleMs)) return true;
  yield* breakIfStale(a.disk, join(a.dir, EXCLUSIVE), a.staleMs);
  return false;
}

/** The lock is a link (lock-link.ts): breaks it if its holder is dead; false either way, to try again. */
function* breakLink(a: Attempt): Dual<false> {
  yield* breakIfStale(a.disk, a.dir, a.staleMs);
  return false;
}

function* readersGone(a: Attempt): Dual<boolean> {
  const names = (yield* io.readdir(a.disk, a.dir)).filter((n) => n.startsWith(SHARED_PREFIX));
  let live = 0;
  for (const n of names) {
    const entry = yield* readRecord(a.disk, join(a.dir, n));
    if (!entry) continue;
    if (isStale(entry, a.staleMs)) yield* quietly(io.unlink(a.disk, join(a.dir, n)));
    else live++;
  }
  return live === 0;
}

/**
 * Removes our own record, after checking that it is ours: a record that was removed (or
 * broken as stale, by a breaker that misjudged us) and then claimed by another holder is
 * theirs, and is left alone. A failure is tried again; if the record still cannot be
 * removed, the error is thrown (release must not fail silently) and the record, whose
 * token is then dropped, counts as stale for this process's next lock. Resolves to false
 * if the record was no longer ours.
 */
function* removeOwn(a: Attempt, file: string): Dual<boolean> {
  let ours: boolean;
  try {
    ours = yield* removeIfOurs(a, file);
  } catch (err) {
    throw fsError(err, 'release lock', a.path);
  }
  // Tidy up: fails harmlessly while others still use the folder.
  if (!a.linked) yield* quietly(io.rmdir(a.disk, a.dir));
  return ours;
}

/**
 * Removes the record at `file` if it is still ours. If it cannot be read where it is, it
 * is renamed aside and read there; a record that turns out to be someone else's is linked
 * back.
 */
function* removeIfOurs(a: Attempt, file: string): Dual<boolean> {
  let entry: RecordEntry | undefined;
  try {
    entry = yield* readRecord(a.disk, file, false);
  } catch {
    const aside = asideOf(file);
    yield* io.rename(a.disk, file, aside);
    const mine = (yield* readRecord(a.disk, aside, false))?.record?.token === a.record.token;
    if (!mine) yield* quietly(io.link(a.disk, aside, file));
    yield* removeRecord(a.disk, aside);
    return mine;
  }
  if (entry?.record?.token !== a.record.token) return false;
  yield* removeRecord(a.disk, file);
  return true;
}

/** Whether the record at `file` is still ours; false if it is gone or another holder's. */
function* stillOurs(a: Attempt, file: string): Dual<boolean> {
  const entry = yield* readRecord(a.disk, file, false);
  return entry?.record?.token === a.record.token;
}

function compromised(a: Attempt): AtomicError {
  return new AtomicError(
    'ECOMPROMISED',
    `lock ${a.path}: the lock was lost while held (its record was removed or taken over by another holder)`,
    { path: a.path },
  );
}

/** Tells the holder, once, that its lock is lost. */
function markLost(a: Attempt): void {
  if (a.lost.signal.aborted) return;
  const err = compromised(a);
  a.lost.abort(err);
  a.onCompromised?.(err);
}

function holding(a: Attempt, file: string): HeldLock {
  // Holders on other hosts can only be told alive by a fresh mtime: keep it fresh. Each
  // refresh first checks that the record is still ours, so a holder learns of a loss
  // within staleMs / 3 (never refreshing someone else's record into looking alive).
  const timer = setInterval(
    () => {
      const now = Date.now();
      runAsync(stillOurs(a, file))
        .then(async (ours) => {
          if (!ours) {
            clearInterval(timer);
            markLost(a);
            return;
          }
          await a.disk.utimes(file, now, now);
          if (a.linked && a.owner) a.owner.touchedAt = now; // the owner file's mtime: every link shares it
        })
        .catch(() => undefined);
    },
    Math.max(50, a.staleMs / 3),
  );
  timer.unref();
  function* releaseProtocol(): Dual<void> {
    clearInterval(timer);
    callersLocks.get(a.path)?.delete(handle);
    if (callersLocks.get(a.path)?.size === 0) callersLocks.delete(a.path);
    let ours: boolean;
    try {
      ours = yield* removeOwn(a, file);
    } finally {
      // A record left by a failed removal is then stale, not ours forever.
      dropToken(a.record.token);
    }
    if (ours && !a.lost.signal.aborted) return;
    const told = a.onCompromised !== undefined;
    markLost(a);
    if (!told) throw compromised(a);
  }
  const handle: HeldLock = Object.assign(onceEitherWay(a.path, releaseProtocol), {
    signal: a.lost.signal,
    path: a.path,
  });
  // A transaction's or updateJson's locks are their own business, not unlock()'s.
  if (a.forCaller) {
    let mine = callersLocks.get(a.path);
    if (!mine) callersLocks.set(a.path, (mine = new Set()));
    mine.add(handle);
  }
  return handle;
}

/**
 * A release run at most once, asynchronously (the function) or synchronously
 * (`releaseSync`): a second call gets the first one's outcome. A synchronous release
 * cannot wait for an asynchronous one in flight: EPENDING.
 */
function onceEitherWay(path: string, protocol: () => Dual<void>): DualRelease {
  let running: Promise<void> | undefined;
  let settled: { ok: true } | { ok: false; error: unknown } | undefined;
  const outcome = (): void => {
    if (settled && !settled.ok) throw settled.error;
  };
  const release = (): Promise<void> => {
    if (settled) return (async () => outcome())();
    running ??= runAsync(protocol()).then(
      () => {
        settled = { ok: true };
      },
      (error: unknown) => {
        settled = { ok: false, error };
        throw error;
      },
    );
    return running;
  };
  const releaseSync = (): void => {
    if (settled) return outcome();
    if (running)
      throw new AtomicError(
        'EPENDING',
        `release lock ${path}: its asynchronous release is still in flight; a synchronous call cannot wait for it (await it first)`,
        { path },
      );
    try {
      runSync(protocol());
      settled = { ok: true };
    } catch (error) {
      settled = { ok: false, error };
      throw error;
    }
  };
  return Object.assign(release, { releaseSync });
}

/** The locks this process holds through lock(), by real path: for unlock(). */
const callersLocks = new Map<string, Set<HeldLock>>();

/** The most recent lock this process holds on the real path `real`. */
export function heldByUs(real: string): HeldLock | undefined {
  const mine = callersLocks.get(real);
  if (!mine) return undefined;
  let last: HeldLock | undefined;
  for (const h of mine) last = h;
  return last;
}

/** Whether a live holder (exclusive or shared, any process) has the lock of `real`. */
export function* isLockedReal(disk: Disk, real: string, staleMs: number): Dual<boolean> {
  for (const r of yield* recordPaths(disk, lockDirFor(real))) {
    const entry = yield* readRecord(disk, r);
    if (entry && !isStale(entry, staleMs)) return true;
  }
  return false;
}
