/**
 * The records a lock keeps on disk. A lock on `path` lives in the hidden folder
 * `.<name>.atomicfs-lock` beside it: `x` names the exclusive holder, `s-<token>` each
 * shared holder. Records are JSON `{ pid, host, token, since }`; a record is written
 * completely under a temporary name and then linked into place, so it is never seen half
 * written and an existing one is never replaced (link fails with EEXIST).
 */
import { basename, dirname, join } from 'node:path';
import type { Disk, DiskStat } from '../disk/index.js';
import { errorCode } from '../base/errors.js';
import { HOST, isOwnerDeadHere } from './process-alive.js';
import { randomId } from './temp-name.js';

export interface LockRecord {
  pid: number;
  host: string;
  token: string;
  since: number;
}

export const EXCLUSIVE = 'x';
export const SHARED_PREFIX = 's-';

export function lockDirFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.atomicfs-lock`);
}

export function newRecord(): LockRecord {
  return { pid: process.pid, host: HOST, token: randomId(8), since: Date.now() };
}

/** Creates `name` in `dir` holding `record`, atomically; EEXIST if it exists. */
export async function linkRecord(disk: Disk, dir: string, name: string, record: LockRecord): Promise<void> {
  const temp = join(dir, `t-${record.token}-${randomId(4)}`);
  const file = await disk.open(temp, 'wx', 0o644);
  try {
    try {
      await file.write(Buffer.from(JSON.stringify(record)));
    } finally {
      await file.close();
    }
    await disk.link(temp, join(dir, name));
  } finally {
    // The temporary name must go whatever happened, or it would keep the folder alive.
    await unlinkPersistently(disk, temp);
  }
}

/** unlink, tried again on a failure (other than ENOENT) a few times; throws the last error. */
export async function unlinkPersistently(disk: Disk, path: string, tries = 3): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await disk.unlink(path);
      return;
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return;
      if (i >= tries) throw err;
    }
  }
}

/**
 * Tokens of this process whose release could not remove their record (an I/O error):
 * such a record names a live pid, so without this set it would lock the path for as long
 * as this process lives. Records with these tokens count as stale and are broken.
 */
const abandoned = new Set<string>();

export function abandonToken(token: string): void {
  abandoned.add(token);
}

export async function readRecord(disk: Disk, file: string): Promise<{ record: LockRecord | undefined; stat: DiskStat } | undefined> {
  let stat: DiskStat;
  let text: string;
  try {
    stat = await disk.stat(file);
    const fh = await disk.open(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(stat.size, 4096));
      const n = await fh.read(buf, 0);
      text = buf.subarray(0, n).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return { record: JSON.parse(text) as LockRecord, stat };
  } catch {
    return { record: undefined, stat };
  }
}

/**
 * A holder is stale when its process is gone (same host: known at once) or, for a holder
 * on another host or an unreadable record, when it has not refreshed its record for
 * `staleMs` (holders touch their record every staleMs / 3).
 */
export function isStale(entry: { record: LockRecord | undefined; stat: DiskStat }, staleMs: number): boolean {
  if (entry.record && (isOwnerDeadHere(entry.record) || abandoned.has(entry.record.token))) return true;
  if (entry.record?.host === HOST) return false;
  return Date.now() - entry.stat.mtimeMs > staleMs;
}
