export type { Disk, DiskDir, DiskFile, DiskStat, DiskSync, DualDisk, OpenFlags } from './disk.js';
export { POSIX_CAPABILITIES, WINDOWS_CAPABILITIES, pathKey, syncFlags, type DiskCapabilities } from './capabilities.js';
import type { DualDisk } from './disk.js';
import { posixDisk } from './node-disk.js';
import { windowsDisk } from './node-disk-windows.js';

/** The real disk: the driver of the platform family this process runs on. */
export const nodeDisk: DualDisk = process.platform === 'win32' ? windowsDisk : posixDisk;
