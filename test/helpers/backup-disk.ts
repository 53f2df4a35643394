/** Disk wrappers for backup tests: a link that fails like a foreign file system, and a gate. */
import { nodeDisk } from '../../src/disk/index.js';
import type { Disk } from '../../src/index.js';

/**
 * The real disk, but link(2) into a backup's `files/` folder fails with `code` (EXDEV,
 * EPERM…), as across devices or on some file systems. (Locks still link their records.)
 */
export function diskWithoutLinks(code = 'EXDEV'): Disk {
  return {
    ...nodeDisk,
    link: async (existing, to) => {
      if (to.includes('/files/')) throw Object.assign(new Error(`${code}: link refused`), { code });
      return nodeDisk.link(existing, to);
    },
  };
}

/**
 * The real disk, but the first `link` into a folder whose path contains `marker` waits
 * until `open()` is called: a backup paused half-written.
 */
export function gatedDisk(marker: string): { disk: Disk; reached: Promise<void>; open(): void } {
  let open!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const reachedP = new Promise<void>((r) => (reached = r));
  let used = false;
  const disk: Disk = {
    ...nodeDisk,
    async link(existing, to) {
      if (!used && to.includes(marker)) {
        used = true;
        reached();
        await gate;
      }
      return nodeDisk.link(existing, to);
    },
  };
  return { disk, reached: reachedP, open };
}
