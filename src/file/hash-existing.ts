import type { Disk } from '../disk/index.js';
import type { Dual } from '../disk/dual.js';
import { errorCode } from '../base/errors.js';
import { hashFile } from './sha256-file.js';

/** SHA-256 of the file at `path`, or null if there is none. */
export function* hashIfExists(disk: Disk, path: string): Dual<string | null> {
  try {
    return (yield* hashFile(disk, path)).sha256;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
  }
}
