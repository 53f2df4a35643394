/**
 * The Windows driver: the same node:fs calls as the POSIX driver, under Windows's rules
 * (capabilities.ts). Its speed work (calls made on this thread on a local file system)
 * needs Linux's statfs and never runs here, and no folder is opened ahead of a sync:
 * Windows has no directory sync for a program, so the layers above never ask for one.
 * `syncDir` is left to fail as the platform makes it fail (EPERM).
 */
import type { DualDisk } from './disk.js';
import { WINDOWS_CAPABILITIES } from './capabilities.js';
import { posixDisk } from './node-disk.js';

/** The POSIX driver's calls (plain functions of node:fs, no `this`), less `openDir`. */
function windowsCalls(): DualDisk {
  const disk: DualDisk = { ...posixDisk, capabilities: WINDOWS_CAPABILITIES };
  delete disk.openDir;
  return disk;
}

export const windowsDisk: DualDisk = windowsCalls();
