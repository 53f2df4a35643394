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
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import type { Disk } from '../disk/index.js';
import { abortError } from '../base/abort.js';
import { errorCode, fsError, invalidArg, LockError } from '../base/errors.js';
import { diskOf, type BaseOptions } from './options.js';
import {
  EXCLUSIVE,
  SHARED_PREFIX,
  asideOf,
  breakIfStale,
  isStale,
  createRecord,
  dropToken,
  holdToken,
  lockDirFor,
  newRecord,
  readRecord,
  removeRecord,
  type LockRecord,
} from './lock-record.js';
import { tryLink, type LockOwner } from './lock-link.js';

export interface LockOptions extends BaseOptions {
  /** Give up after this many ms with LockError (ELOCKED); wait forever if not given. */
  timeout?: number | undefined;
  /** A shared (read) lock: many shared holders at once, none while an exclusive one holds. */
  shared?: boolean | undefined;
  /** How long a holder on another host may go without refreshing before it counts as dead (default 30 s). */
  staleMs?: number | undefined;
}

export type Release = () => Promise<void>;

interface Attempt {
  disk: Disk;
  path: string;
  dir: string;
  staleMs: number;
  record: LockRecord;
  /** When our record last had a fresh mtime (set just before it is created or touched). */
  freshAt: number;
  /** Exclusive holders only: the owner file to link as the lock, while that works. */
  owner: LockOwner | undefined;
  /** The lock is held as a link to the owner file (not as a folder). */
  linked: boolean;
}

const MAX_POLL_MS = 100;

export async function lock(path: string, opts: LockOptions = {}): Promise<Release> {
  return lockAs(path, opts, undefined);
}

/** lock(), an exclusive one held as a link to `owner` where the file system allows it. */
export async function lockAs(path: string, opts: LockOptions, owner: LockOwner | undefined): Promise<Release> {
  if (typeof path !== 'string' || path === '') throw invalidArg('lock', undefined, 'path must be a non-empty string');
  if (opts.timeout !== undefined && !(opts.timeout >= 0)) throw invalidArg('lock', path, `timeout must be a number of ms >= 0, got ${String(opts.timeout)}`);
  const abs = resolve(path);
  const shared = opts.shared === true;
  const a: Attempt = {
    disk: diskOf(opts),
    path: abs,
    dir: lockDirFor(abs),
    staleMs: opts.staleMs ?? 30_000,
    record: (!shared && owner?.record) || newRecord(),
    freshAt: 0,
    owner: shared ? undefined : owner,
    linked: false,
  };
  const deadline = opts.timeout === undefined ? Infinity : Date.now() + opts.timeout;
  const name = shared ? SHARED_PREFIX + a.record.token : EXCLUSIVE;
  let delay = 2;
  let claimed = false;
  holdToken(a.record.token); // before our record can exist: see lock-record.ts
  try {
    for (;;) {
      if (opts.signal?.aborted) throw abortError(opts.signal, 'lock', path);
      if (!claimed) claimed = shared ? await tryShared(a) : await tryExclusive(a);
      if (a.linked) return holding(a, a.dir);
      if (claimed && (shared || (await readersGone(a)))) return holding(a, join(a.dir, name));
      if (Date.now() >= deadline) {
        throw new LockError(path, `still locked by another holder after ${opts.timeout ?? 0} ms`);
      }
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
      delay = Math.min(MAX_POLL_MS, delay * 2) * (0.75 + Math.random() * 0.5);
    }
  } catch (err) {
    if (claimed) await removeOwn(a, join(a.dir, name)).catch(() => undefined);
    dropToken(a.record.token);
    if (err instanceof LockError || errorCode(err) === 'ABORT_ERR') throw err;
    throw fsError(err, 'lock', path);
  }
}

/** The link form while it works (lock-link.ts), else the folder form. */
async function tryExclusive(a: Attempt): Promise<boolean> {
  if (a.owner) {
    const got = await tryLink(a.disk, a.owner, a.dir, a.staleMs);
    a.freshAt = a.owner.touchedAt;
    if (got === 'held') a.linked = true;
    if (got === 'held' || got === 'busy') return a.linked;
    if (got === 'unsupported') a.owner = undefined;
  }
  return tryClaimExclusive(a);
}

async function ensureDir(a: Attempt): Promise<void> {
  try {
    await a.disk.mkdir(a.dir, 0o777);
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
async function failureIn(a: Attempt, err: unknown): Promise<string | undefined> {
  const code = errorCode(err);
  if (code !== 'ENOENT') return code;
  const st = await a.disk.lstat(a.dir).catch(() => undefined);
  return st !== undefined && !st.isDirectory() ? 'ENOTDIR' : code;
}

/** Tries to create `x`; false if another live holder has it. */
async function tryClaimExclusive(a: Attempt): Promise<boolean> {
  await ensureDir(a);
  try {
    a.freshAt = Date.now();
    await createRecord(a.disk, a.dir, EXCLUSIVE, a.record);
    return true;
  } catch (err) {
    const code = await failureIn(a, err);
    // ENOENT: a releasing holder removed the empty lock folder meanwhile; try again.
    if (code === 'ENOENT') return false;
    // ENOTDIR: the lock is a link (lock-link.ts), held by an exclusive holder.
    if (code === 'ENOTDIR') return breakLink(a);
    if (code !== 'EEXIST') throw err;
  }
  await breakIfStale(a.disk, join(a.dir, EXCLUSIVE), a.staleMs);
  return false;
}

/** Adds our shared record, keeping it only if no exclusive holder is there. */
async function tryShared(a: Attempt): Promise<boolean> {
  if (await liveExclusive(a)) return false;
  await ensureDir(a);
  const mine = SHARED_PREFIX + a.record.token;
  try {
    a.freshAt = Date.now();
    await createRecord(a.disk, a.dir, mine, a.record);
  } catch (err) {
    const code = await failureIn(a, err);
    if (code === 'ENOENT') return false;
    if (code === 'ENOTDIR') return breakLink(a);
    throw err;
  }
  if (!(await liveExclusive(a))) return true;
  await a.disk.unlink(join(a.dir, mine)).catch(() => undefined);
  return false;
}

async function liveExclusive(a: Attempt): Promise<boolean> {
  let entry: Awaited<ReturnType<typeof readRecord>>;
  try {
    entry = await readRecord(a.disk, join(a.dir, EXCLUSIVE));
  } catch (err) {
    if (errorCode(err) !== 'ENOTDIR') throw err;
    await breakLink(a); // the lock is a link: an exclusive holder, unless it was dead
    return true; // look again after a pause
  }
  if (!entry) return false;
  if (!isStale(entry, a.staleMs)) return true;
  await breakIfStale(a.disk, join(a.dir, EXCLUSIVE), a.staleMs);
  return false;
}

/** The lock is a link (lock-link.ts): breaks it if its holder is dead; false either way, to try again. */
async function breakLink(a: Attempt): Promise<false> {
  await breakIfStale(a.disk, a.dir, a.staleMs);
  return false;
}

async function readersGone(a: Attempt): Promise<boolean> {
  const names = (await a.disk.readdir(a.dir)).filter((n) => n.startsWith(SHARED_PREFIX));
  let live = 0;
  for (const n of names) {
    const entry = await readRecord(a.disk, join(a.dir, n));
    if (!entry) continue;
    if (isStale(entry, a.staleMs)) await a.disk.unlink(join(a.dir, n)).catch(() => undefined);
    else live++;
  }
  return live === 0;
}

/**
 * Removes our own record. A failure is tried again; if the record still cannot be
 * removed, the error is thrown (release must not fail silently) and the record, whose
 * token is then dropped, counts as stale for this process's next lock.
 */
async function removeOwn(a: Attempt, file: string): Promise<void> {
  try {
    // Others break a live holder's record only after staleMs without a refresh (same
    // host: never). One refreshed less than staleMs/2 ago is still ours for certain, so
    // it is unlinked without the open/read/close that checks its token, unless clocks
    // disagree by more than staleMs/2, which breaks stale detection anyway.
    if (Date.now() - a.freshAt < a.staleMs / 2) await removeRecord(a.disk, file);
    else await removeIfOurs(a, file);
  } catch (err) {
    throw fsError(err, 'release lock', a.path);
  }
  // Tidy up: fails harmlessly while others still use the folder.
  if (!a.linked) await a.disk.rmdir(a.dir).catch(() => undefined);
}

/**
 * Removes the record at `file` if it is still ours (it is not if a stale-lock breaker
 * took it and another holder claimed the name). If it cannot be read where it is, it is
 * renamed aside and read there; a record that turns out to be someone else's is linked
 * back.
 */
async function removeIfOurs(a: Attempt, file: string): Promise<void> {
  let entry: Awaited<ReturnType<typeof readRecord>>;
  try {
    entry = await readRecord(a.disk, file, false);
  } catch {
    const aside = asideOf(file);
    await a.disk.rename(file, aside);
    const mine = (await readRecord(a.disk, aside, false))?.record?.token === a.record.token;
    if (!mine) await a.disk.link(aside, file).catch(() => undefined);
    await removeRecord(a.disk, aside);
    return;
  }
  if (entry?.record?.token === a.record.token) await removeRecord(a.disk, file);
}

function holding(a: Attempt, file: string): Release {
  // Holders on other hosts can only be told alive by a fresh mtime: keep it fresh.
  const timer = setInterval(() => {
    const now = Date.now();
    a.disk.utimes(file, now, now).then(
      () => {
        a.freshAt = now;
        if (a.linked && a.owner) a.owner.touchedAt = now; // the owner file's mtime: every link shares it
      },
      () => undefined,
    );
  }, Math.max(50, a.staleMs / 3));
  timer.unref();
  let released: Promise<void> | undefined;
  return () => {
    released ??= (async () => {
      clearInterval(timer);
      try {
        await removeOwn(a, file);
      } finally {
        // A record left by a failed removal is then stale, not ours forever.
        dropToken(a.record.token);
      }
    })();
    return released;
  };
}
