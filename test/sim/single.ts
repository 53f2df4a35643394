/**
 * Single-file crash scenarios: the files start as `seed` (durable), the operation runs,
 * and every crash state must hold the files as before, as after (what a clean run
 * leaves), or one of the `between` states the operation's promise allows.
 */
import { posix } from 'node:path';
import type { Disk } from '../../src/index.js';
import { SimDisk } from './sim-disk.js';
import { isLockPath, oneOf, type Files } from './expect.js';
import type { Scenario } from './explore.js';
import { op } from './ops.js';

export interface SingleCase {
  name: string;
  /** The folder checked (everything under it must be accounted for). */
  root: string;
  /** Initial files: path → content (null: absent); all paths the check looks at. */
  seed: Files;
  symlinks?: [target: string, path: string][];
  /** Folders that stand for other file systems (rename across them: EXDEV). */
  mounts?: string[];
  /** The operation; `extra` options (say, `retry`) are passed through to it. */
  run(disk: Disk, extra?: Record<string, unknown>): Promise<unknown>;
  /** States allowed between before and after (say, both files during a cross-folder move). */
  between?: Files[];
  /**
   * An operation whose promise is "run me again after a crash" (rotateFile): recovery
   * reruns it (after cleanupTemps, and after taking over the dead run's lock, as the lock
   * does for a holder that died), and then only the final state is allowed.
   */
  rerun?: boolean;
}

export function seedInto(sim: SimDisk, c: SingleCase): void {
  sim.seedDir(c.root);
  for (const m of c.mounts ?? []) sim.mount(m);
  for (const [path, data] of Object.entries(c.seed)) {
    if (data === null) sim.seedDir(posix.dirname(path));
    else sim.seedFile(path, Buffer.from(data, 'latin1'));
  }
  for (const [target, path] of c.symlinks ?? []) sim.symlink(target, path);
}

/** The files `c` leaves after a run without a crash. */
export async function finalFiles(c: SingleCase): Promise<Files> {
  const sim = new SimDisk();
  seedInto(sim, c);
  await c.run(sim);
  const out: Files = {};
  for (const path of Object.keys(c.seed)) {
    const e = sim.tree(c.root).get(path);
    out[path] = e?.kind === 'file' ? e.data.toString('latin1') : null;
  }
  return out;
}

/**
 * The scenario for `c`. Single-file operations have no journal: after a crash their
 * temporary files may remain, to be removed by `cleanupTemps`, which is therefore the
 * recovery here (when exported), and after it nothing else may remain.
 */
export async function singleScenario(c: SingleCase): Promise<Scenario> {
  const links = new Set((c.symlinks ?? []).map(([, p]) => p));
  const final = await finalFiles(c);
  const states = c.rerun ? [final] : [c.seed, ...(c.between ?? []), final];
  const cleanup = op('cleanupTemps');
  const clean = async (disk: Disk): Promise<void> => {
    if (cleanup) await cleanup(c.root, { disk, olderThanMs: 0, recursive: true });
  };
  const rerun = async (disk: Disk): Promise<void> => {
    await clean(disk);
    // The crashed run's lock records stay: none of its tokens is held, so they are stale
    // (as a dead process's would be) and the rerun takes them over.
    await c.run(disk);
  };
  return {
    name: c.name,
    setup: (sim) => seedInto(sim, c),
    run: (disk) => c.run(disk),
    recover: c.rerun ? rerun : cleanup && clean,
    // A dead holder's lock record is taken over by design (lock.ts), so it may stay.
    check: oneOf(c.root, states, { allowTemps: !cleanup, ignore: (p) => links.has(p) || isLockPath(p) }),
  };
}
