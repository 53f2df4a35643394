/**
 * rotateFile: log rotation. `path` becomes `path.1`, `path.1` becomes `path.2`, … up to
 * `path.N` (N = maxFiles); the oldest is dropped. With `compress`, rotated files are
 * gzipped to `path.I.gz`.
 *
 * Every step is a rename into an empty name (or an unlink, or an atomic writeFile),
 * made durable before the next, and the plan is worked out from what is on disk: the
 * shift starts at the first empty slot. So a rotation cut short by a crash is simply
 * completed by running rotateFile again, without losing or duplicating a file:
 * - crash after dropping the oldest: its slot is the first empty one, the shift goes on;
 * - crash half-way through the shift: the slot vacated last is the first empty one;
 * - crash after `path` moved to `path.1`: `path` is gone, nothing more to rotate (a
 *   pending compression of `path.1` is finished first).
 * The writer of the log must reopen `path` after a rotation (the usual contract).
 */
import { dirname, resolve } from 'node:path';
import type { Disk } from '../disk/index.js';
import { AtomicError, errorCode, fsError, invalidArg } from '../base/errors.js';
import { syncDirectory } from '../file/dir-sync.js';
import { lock } from '../lock/lock.js';
import { checkOptions } from '../base/options-check.js';
import { pathArg, type PathLike } from '../file/check-path.js';
import { diskOf, type BaseOptions } from '../file/options.js';
import { gzipFile } from './gzip-file.js';
import { runAsync } from '../disk/dual.js';

export interface RotateOptions extends Pick<BaseOptions, 'disk'> {
  /** How many rotated files to keep: `path.1` … `path.N`. */
  maxFiles: number;
  /** Gzip rotated files (`path.1.gz` …). */
  compress?: boolean | undefined;
}

export interface RotateResult {
  /** False when `path` did not exist (nothing to rotate). */
  rotated: boolean;
  /** The rotated file that was dropped, if any. */
  dropped?: string | undefined;
  /** The rotated files now present, newest (`.1`) first. */
  files: string[];
}

const OP = 'rotateFile';

class Rotation {
  constructor(
    readonly disk: Disk,
    readonly path: string,
    readonly max: number,
    readonly compress: boolean,
  ) {}

  slot(i: number): string[] {
    return [`${this.path}.${i}`, `${this.path}.${i}.gz`];
  }

  async exists(p: string): Promise<boolean> {
    try {
      await this.disk.lstat(p);
      return true;
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  async slotTaken(i: number): Promise<boolean> {
    for (const p of this.slot(i)) if (await this.exists(p)) return true;
    return false;
  }

  /** Makes the step just taken durable before the next one can depend on it. */
  async sync(): Promise<void> {
    // Renames in one folder may otherwise persist out of order after a power cut: a later
    // rename into a slot could survive while the earlier one that emptied it is lost.
    try {
      await runAsync(syncDirectory(this.disk, dirname(this.path)));
    } catch (err) {
      // Name the file being rotated (syncDirectory's error names only the folder).
      const cause = err instanceof AtomicError && err.cause !== undefined ? err.cause : err;
      throw fsError(cause, OP, this.path, `cannot sync its folder: ${(err as Error).message}`);
    }
  }

  /** Gzips a plain `path.i` left by an interrupted run (or by a run without compress). */
  async finishCompression(i: number): Promise<void> {
    const [plain, gz] = this.slot(i) as [string, string];
    if (!(await this.exists(plain))) return;
    // writeFile makes .gz appear only when complete: if it exists, it is whole.
    if (!(await this.exists(gz))) await gzipFile(this.disk, plain, gz, (await this.disk.stat(plain)).mode & 0o7777);
    await this.disk.unlink(plain);
    await this.sync();
  }

  async firstFree(): Promise<number | undefined> {
    for (let i = 1; i <= this.max; i++) if (!(await this.slotTaken(i))) return i;
    return undefined;
  }

  async drop(i: number): Promise<string | undefined> {
    let dropped: string | undefined;
    for (const p of this.slot(i)) {
      if (!(await this.exists(p))) continue;
      await this.disk.unlink(p);
      dropped = p;
    }
    await this.sync();
    return dropped;
  }

  async shift(from: number): Promise<void> {
    const src = this.slot(from);
    const dst = this.slot(from + 1);
    for (let k = 0; k < src.length; k++) {
      if (await this.exists(src[k]!)) await this.disk.rename(src[k]!, dst[k]!);
    }
    await this.sync();
  }

  async present(): Promise<string[]> {
    const out: string[] = [];
    for (let i = 1; i <= this.max; i++) for (const p of this.slot(i)) if (await this.exists(p)) out.push(p);
    return out;
  }
}

function checkArgs(path: string, opts: RotateOptions | undefined): asserts opts is RotateOptions {
  checkOptions(OP, OP, path, opts);
  const max = opts?.maxFiles;
  if (max === undefined || !Number.isInteger(max) || max < 1)
    throw invalidArg(OP, path, `maxFiles must be an integer >= 1, got ${String(max)}`);
}

/** Rotates `path`; safe to run again after a crash half-way (see above). */
export async function rotateFile(given: PathLike, opts: RotateOptions): Promise<RotateResult> {
  const path = pathArg(OP, given);
  checkArgs(path, opts);
  const abs = resolve(path);
  const disk = diskOf(opts);
  const r = new Rotation(disk, abs, opts.maxFiles, opts.compress ?? false);
  // One rotation of a file at a time, across processes.
  const release = await lock(abs, { disk });
  try {
    if (r.compress) await r.finishCompression(1);
    if (!(await r.exists(abs))) return { rotated: false, files: await r.present() };
    if ((await disk.lstat(abs)).isDirectory())
      throw new AtomicError('EISDIR', `${OP} ${path}: is a directory, expected a file`, { path });
    let free = await r.firstFree();
    let dropped: string | undefined;
    if (free === undefined) {
      dropped = await r.drop(r.max);
      free = r.max;
    }
    for (let i = free - 1; i >= 1; i--) await r.shift(i);
    await disk.rename(abs, `${abs}.1`);
    await r.sync();
    if (r.compress) await r.finishCompression(1);
    return { rotated: true, dropped, files: await r.present() };
  } catch (err) {
    throw fsError(err, OP, path);
  } finally {
    await release();
  }
}
