/** Permission bits of a file written: checked when given, else kept from the replaced file. */
import type { DiskStat } from '../disk/index.js';

/** The mode a new file gets by default: 0o666 less the umask, as open(2) would give it. */
export function defaultMode(): number {
  // process.umask() without an argument only reads the mask (it is documented as
  // deprecated for thread safety, which does not concern a read in the main thread).
  return 0o666 & ~process.umask();
}

/**
 * The mode asked for, else the replaced file's, else `fallback`, else the default.
 * `false`: what a new file gets, whatever the replaced file had. (Values are checked by
 * the option validator, base/options-check.ts.)
 */
export function modeFor(mode: number | false | undefined, existing: DiskStat | undefined, fallback?: number): number {
  if (typeof mode === 'number') return mode;
  return existing && mode !== false ? existing.mode & 0o7777 : (fallback ?? defaultMode());
}
