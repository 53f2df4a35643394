/** Permission bits of a file written: checked when given, else kept from the replaced file. */
import { invalidArg } from '../base/errors.js';
import type { DiskStat } from '../disk/index.js';

/** Refuses a `mode` option that is not permission bits, before anything touches the disk. */
export function checkMode(op: string, path: string, mode: number | undefined): void {
  if (mode !== undefined && (!Number.isInteger(mode) || mode < 0 || mode > 0o7777)) {
    throw invalidArg(op, path, `mode must be an integer from 0 to 0o7777, got ${String(mode)}`);
  }
}

/** The mode a new file gets by default: 0o666 less the umask, as open(2) would give it. */
export function defaultMode(): number {
  // process.umask() without an argument only reads the mask (it is documented as
  // deprecated for thread safety, which does not concern a read in the main thread).
  return 0o666 & ~process.umask();
}

/** The mode asked for, else the replaced file's, else `fallback`, else the default. */
export function modeFor(mode: number | undefined, existing: DiskStat | undefined, fallback?: number): number {
  return mode ?? (existing ? existing.mode & 0o7777 : (fallback ?? defaultMode()));
}
