/**
 * The records a lock keeps on disk. A lock on `path` lives in the hidden folder
 * `.<name>.atomicfs-lock` beside it: `x` names the exclusive holder, `s-<token>` each
 * shared holder. Records are JSON `{ pid, host, token, since }` on a file's first line,
 * created exclusively (O_EXCL), so an existing one is never replaced. A holder of many
 * locks (a transaction) may instead link one owner file, whose first line is its record,
 * as each lock (see lock-link.ts).
 */
import { basename, dirname, join } from 'node:path';
import type { Disk, DiskStat } from '../disk/index.js';
import { errorCode } from '../base/errors.js';
import { readHead } from '../file/read-file.js';
import { HOST, isOwnerDeadHere } from '../file/process-alive.js';
import { randomId } from '../file/temp-name.js';
import type { Dual } from '../disk/dual.js';
import * as io from '../disk/io.js';

export interface LockRecord {
  pid: number;
  host: string;
  token: string;
  since: number;
}

export const EXCLUSIVE = 'x';
export const SHARED_PREFIX = 's-';

export const LOCK_SUFFIX = '.atomicfs-lock';
/** A record moved aside (asideOf) while a lock was broken or released. */
export const ASIDE_RE = /(^|\.atomicfs-lock\.)b-[0-9a-f]{12}$/;

/** The lock of `path`: a folder of records, or a link to a holder's owner file. */
export function lockDirFor(path: string): string {
  return join(dirname(path), `.${basename(path)}${LOCK_SUFFIX}`);
}

export function newRecord(): LockRecord {
  return { pid: process.pid, host: HOST, token: randomId(8), since: Date.now() };
}

/**
 * Creates `name` in `dir` holding `record`; EEXIST if it exists. The record is created
 * exclusively under its final name (a temporary name linked into place would be one more
 * file that an I/O error can leave behind). A record caught half written reads as
 * unparseable and counts as live until it is `staleMs` old.
 */
export function* createRecord(disk: Disk, dir: string, name: string, record: LockRecord): Dual<void> {
  const path = join(dir, name);
  const file = yield* io.open(disk, path, 'wx', 0o644);
  try {
    try {
      yield* io.write(file, Buffer.from(JSON.stringify(record)));
    } finally {
      yield* io.close(file);
    }
  } catch (err) {
    try {
      yield* removeRecord(disk, path);
    } catch {
      // The create's failure is the one to report.
    }
    throw err;
  }
}

/**
 * Removes a record, trying again on failure; if its name still cannot be unlinked it is
 * renamed aside and the aside name unlinked, so one failing call cannot keep a path locked.
 */
export function* removeRecord(disk: Disk, path: string, tries = 3): Dual<void> {
  try {
    yield* unlinkPersistently(disk, path, tries);
  } catch (err) {
    const aside = asideOf(path);
    try {
      yield* io.rename(disk, path, aside);
    } catch {
      throw err;
    }
    yield* unlinkPersistently(disk, aside, tries);
  }
}

/**
 * A unique name to move a record to: beside it in its lock folder, or for a lock that is
 * itself a file (lock-link.ts), beside the lock with `.b-<random>` appended.
 */
export function asideOf(record: string): string {
  return record.endsWith(LOCK_SUFFIX) ? `${record}.b-${randomId(6)}` : join(dirname(record), `b-${randomId(6)}`);
}

/** unlink, tried again on a failure (other than ENOENT) a few times; throws the last error. */
export function* unlinkPersistently(disk: Disk, path: string, tries = 3): Dual<void> {
  for (let i = 1; ; i++) {
    try {
      yield* io.unlink(disk, path);
      return;
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return;
      if (i >= tries) throw err;
    }
  }
}

/**
 * The tokens this process is locking with, counted (a transaction's owner token serves
 * many locks). A record naming this very process is live only while its token is here:
 * one whose release failed to remove it (an I/O error), or one from before a power cut
 * that the disk brought back while the pid happens to be ours again (a container's pid 1,
 * say), is stale and broken at once instead of locking its path for as long as we live.
 * A token is held from before its record can exist until its release is over.
 */
const held = new Map<string, number>();

export function holdToken(token: string): void {
  held.set(token, (held.get(token) ?? 0) + 1);
}

export function dropToken(token: string): void {
  const n = (held.get(token) ?? 0) - 1;
  if (n > 0) held.set(token, n);
  else held.delete(token);
}

/**
 * Reads a record. Its stat (for staleness by age) comes from the open descriptor, so it
 * describes the very file whose content was read; callers that only need the token
 * (a release checking ownership) skip it.
 */
export type RecordEntry = { record: LockRecord | undefined; stat: DiskStat | undefined };

/** A record is one short line; more than this is not one of ours. */
const RECORD_MAX_BYTES = 4096;

export function* readRecord(disk: Disk, file: string, withStat = true): Dual<RecordEntry | undefined> {
  let stat: DiskStat | undefined;
  let text: string;
  try {
    const head = yield* readHead(disk, file, RECORD_MAX_BYTES, withStat);
    stat = head.stat;
    text = head.data.toString('utf8');
  } catch (err) {
    // EISDIR: a lock that is a folder, where a lock that is a file (a link) was looked for.
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'EISDIR') return undefined;
    throw err;
  }
  try {
    const end = text.indexOf('\n');
    return { record: JSON.parse(end < 0 ? text : text.slice(0, end)) as LockRecord, stat };
  } catch {
    return { record: undefined, stat };
  }
}

/**
 * A holder is stale when its process is gone (same host: known at once) or, for a holder
 * on another host or an unreadable record, when it has not refreshed its record for
 * `staleMs` (holders touch their record every staleMs / 3).
 */
export function isStale(entry: RecordEntry, staleMs: number): boolean {
  // An unparseable record (its writer died between create and write) ages out by mtime.
  if (entry.record?.host === HOST && entry.record.pid === process.pid) return !held.has(entry.record.token);
  if (entry.record && isOwnerDeadHere(entry.record)) return true;
  if (entry.record?.host === HOST) return false;
  return entry.stat !== undefined && Date.now() - entry.stat.mtimeMs > staleMs;
}

/**
 * Removes the record at `file` if its holder is dead. It is first renamed to a unique name
 * and checked again there, so that two processes breaking the same stale lock at once
 * cannot remove a fresh record that a third one has just created. A lock that is itself a
 * file (a link) can be released and replaced by a lock folder between the check and the
 * rename: a folder moved aside that way is moved straight back.
 */
export function* breakIfStale(disk: Disk, file: string, staleMs: number): Dual<void> {
  const entry = yield* recordToBreak(disk, file);
  if (!entry || !isStale(entry, staleMs)) return;
  // The record was read before it was judged. Its holder may have released it meanwhile
  // (removing it), then exited or dropped its token, and another holder claimed the lock:
  // the name now holds a live record, which the rename below would take from it. A holder
  // removes its record before it exits or drops its token, so a record that is still
  // there when read again, after the judgement, and still stale, is left over. (Two takers
  // that both find a dead holder's record can still break it one after the other: the
  // second then moves the record a third has just made, and puts it back below unless a
  // fourth has claimed the name meanwhile. That needs a holder that died, and four takers.)
  const again = yield* recordToBreak(disk, file);
  if (!again || !sameRecord(entry, again) || !isStale(again, staleMs)) return;
  const aside = asideOf(file);
  try {
    yield* io.rename(disk, file, aside);
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || replacedByLink(err)) return;
    throw err;
  }
  if ((yield* io.lstat(disk, aside)).isDirectory()) {
    yield* io.rename(disk, aside, file);
    return;
  }
  const moved = yield* readRecord(disk, aside);
  if (moved && !isStale(moved, staleMs)) {
    // We took a live holder's record: put it back (link never replaces a newer claim).
    yield* quietly(io.link(disk, aside, file));
  }
  yield* quietly(io.unlink(disk, aside));
}

/** The record at `file` as a breaker sees it: none where it is gone, or where the lock folder was replaced by a link. */
function* recordToBreak(disk: Disk, file: string): Dual<RecordEntry | undefined> {
  try {
    return yield* readRecord(disk, file);
  } catch (err) {
    if (replacedByLink(err)) return undefined;
    throw err;
  }
}

/** Whether two reads found the same record: the same token, or for records that cannot be parsed, the same file. */
function sameRecord(a: RecordEntry, b: RecordEntry): boolean {
  if (a.record || b.record) return a.record?.token === b.record?.token;
  return a.stat !== undefined && b.stat !== undefined && a.stat.ino === b.stat.ino && a.stat.dev === b.stat.dev;
}

/**
 * ENOTDIR at a record inside a lock folder: the folder was released and the lock taken
 * meanwhile as a link (lock-link.ts). The record looked at is gone with the folder; the
 * caller looks at the lock again, as for one removed (ENOENT).
 */
function replacedByLink(err: unknown): boolean {
  return errorCode(err) === 'ENOTDIR';
}

/** A step whose failure does not matter (a tidy-up): its error is dropped. */
export function* quietly(step: Dual<unknown>): Dual<void> {
  try {
    yield* step;
  } catch {
    // Dropped: see the caller.
  }
}

/** Whether `entry` is a live record of this very process (a lock it holds, or is taking, now). */
export function isOurs(entry: RecordEntry | undefined): boolean {
  return entry?.record?.host === HOST && entry.record.pid === process.pid && held.has(entry.record.token);
}
