export type { Disk, DiskDir, DiskFile, DiskStat, OpenFlags } from './disk.js';
export { nodeDisk } from './node-disk.js';
