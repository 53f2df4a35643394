/** Disk wrappers for backup tests (thin forms of fault-disk.ts): a link that fails like a foreign file system, and a gate. */
import { faultDisk, type FaultDisk } from './fault-disk.js';

/**
 * The real disk, but link(2) into a backup's `files/` folder fails with `code` (EXDEV,
 * EPERM…), as across devices or on some file systems. (Locks still link their records.)
 */
export function diskWithoutLinks(code = 'EXDEV'): FaultDisk {
  const disk = faultDisk();
  disk.fail((c) => c.op === 'link' && c.to!.includes('/files/'), code, Infinity);
  return disk;
}

/**
 * The real disk, but the first `link` into a folder whose path contains `marker` waits
 * until `open()` is called: a backup paused half-written.
 */
export function gatedDisk(marker: string): { disk: FaultDisk; reached: Promise<void>; open(): void } {
  const disk = faultDisk();
  const gate = disk.gate((c) => c.op === 'link' && c.to!.includes(marker));
  return { disk, reached: gate.reached.then(() => undefined), open: gate.open };
}
