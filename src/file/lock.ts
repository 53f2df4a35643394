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
  abandonToken,
  isStale,
  createRecord,
  lockDirFor,
  newRecord,
  readRecord,
  removeRecord,
  type LockRecord,
} from './lock-record.js';
import { randomId } from './temp-name.js';

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
}

const MAX_POLL_MS = 100;

export async function lock(path: string, opts: LockOptions = {}): Promise<Release> {
  if (typeof path !== 'string' || path === '') throw invalidArg('lock', undefined, 'path must be a non-empty string');
  if (opts.timeout !== undefined && !(opts.timeout >= 0)) throw invalidArg('lock', path, `timeout must be a number of ms >= 0, got ${String(opts.timeout)}`);
  const abs = resolve(path);
  const a: Attempt = { disk: diskOf(opts), path: abs, dir: lockDirFor(abs), staleMs: opts.staleMs ?? 30_000, record: newRecord() };
  const deadline = opts.timeout === undefined ? Infinity : Date.now() + opts.timeout;
  const name = opts.shared ? SHARED_PREFIX + a.record.token : EXCLUSIVE;
  let delay = 2;
  let claimed = false;
  try {
    for (;;) {
      if (opts.signal?.aborted) throw abortError(opts.signal, 'lock', path);
      if (!claimed) claimed = opts.shared ? await tryShared(a) : await tryClaimExclusive(a);
      if (claimed && (opts.shared || (await readersGone(a)))) return holding(a, name);
      if (Date.now() >= deadline) {
        throw new LockError(path, `still locked by another holder after ${opts.timeout ?? 0} ms`);
      }
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
      delay = Math.min(MAX_POLL_MS, delay * 2) * (0.75 + Math.random() * 0.5);
    }
  } catch (err) {
    if (claimed) await removeOwn(a, name).catch(() => undefined);
    if (err instanceof LockError || errorCode(err) === 'ABORT_ERR') throw err;
    throw fsError(err, 'lock', path);
  }
}

async function ensureDir(a: Attempt): Promise<void> {
  try {
    await a.disk.mkdir(a.dir, 0o777);
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
  }
}

/** Tries to create `x`; false if another live holder has it. */
async function tryClaimExclusive(a: Attempt): Promise<boolean> {
  await ensureDir(a);
  try {
    await createRecord(a.disk, a.dir, EXCLUSIVE, a.record);
    return true;
  } catch (err) {
    const code = errorCode(err);
    // ENOENT: a releasing holder removed the empty lock folder meanwhile; try again.
    if (code === 'ENOENT') return false;
    if (code !== 'EEXIST') throw err;
  }
  await breakIfStale(a, EXCLUSIVE);
  return false;
}

/** Adds our shared record, keeping it only if no exclusive holder is there. */
async function tryShared(a: Attempt): Promise<boolean> {
  if (await liveExclusive(a)) return false;
  await ensureDir(a);
  const mine = SHARED_PREFIX + a.record.token;
  try {
    await createRecord(a.disk, a.dir, mine, a.record);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false;
    throw err;
  }
  if (!(await liveExclusive(a))) return true;
  await a.disk.unlink(join(a.dir, mine)).catch(() => undefined);
  return false;
}

async function liveExclusive(a: Attempt): Promise<boolean> {
  const entry = await readRecord(a.disk, join(a.dir, EXCLUSIVE));
  if (!entry) return false;
  if (!isStale(entry, a.staleMs)) return true;
  await breakIfStale(a, EXCLUSIVE);
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
 * Removes the record `name` if its holder is dead. It is first renamed to a unique name
 * and checked again there, so that two processes breaking the same stale lock at once
 * cannot remove a fresh record that a third one has just created.
 */
async function breakIfStale(a: Attempt, name: string): Promise<void> {
  const file = join(a.dir, name);
  const entry = await readRecord(a.disk, file);
  if (!entry || !isStale(entry, a.staleMs)) return;
  const aside = join(a.dir, `b-${randomId(6)}`);
  try {
    await a.disk.rename(file, aside);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return;
    throw err;
  }
  const moved = await readRecord(a.disk, aside);
  if (moved && !isStale(moved, a.staleMs)) {
    // We took a live holder's record: put it back (link never replaces a newer claim).
    await a.disk.link(aside, file).catch(() => undefined);
  }
  await a.disk.unlink(aside).catch(() => undefined);
}

/**
 * Removes our own record. A failure is tried again; if the record still cannot be
 * removed, its token is marked abandoned (so this process's next lock breaks it instead
 * of waiting on its own live pid) and the error is thrown: release must not fail silently.
 */
async function removeOwn(a: Attempt, name: string): Promise<void> {
  try {
    await removeIfOurs(a, join(a.dir, name));
  } catch (err) {
    abandonToken(a.record.token);
    throw fsError(err, 'release lock', a.path);
  }
  // Tidy up: fails harmlessly while others still use the folder.
  await a.disk.rmdir(a.dir).catch(() => undefined);
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
    const aside = join(a.dir, `b-${randomId(6)}`);
    await a.disk.rename(file, aside);
    const mine = (await readRecord(a.disk, aside, false))?.record?.token === a.record.token;
    if (!mine) await a.disk.link(aside, file).catch(() => undefined);
    await removeRecord(a.disk, aside);
    return;
  }
  if (entry?.record?.token === a.record.token) await removeRecord(a.disk, file);
}

function holding(a: Attempt, name: string): Release {
  const file = join(a.dir, name);
  // Holders on other hosts can only be told alive by a fresh mtime: keep it fresh.
  const timer = setInterval(() => {
    const now = Date.now();
    a.disk.utimes(file, now, now).catch(() => undefined);
  }, Math.max(50, a.staleMs / 3));
  timer.unref();
  let released: Promise<void> | undefined;
  return () => {
    released ??= (async () => {
      clearInterval(timer);
      await removeOwn(a, name);
    })();
    return released;
  };
}
