/**
 * Transaction crash scenarios: after a crash at any call and `recover(root)`, every file
 * of the transaction is old or every file is new (new if the commit had resolved), no
 * staged or temporary file is left, and the journal is gone.
 */
import { posix } from 'node:path';
import type { Disk } from '../../src/index.js';
import { SimDisk } from './sim-disk.js';
import { isLockPath, oneOf, type Files } from './expect.js';
import type { Scenario } from './explore.js';
import { need } from './ops.js';

export const ROOT = '/data';

export interface TxCase {
  name: string;
  /** Files before: path → content, null for absent; every path the check looks at. */
  seed: Files;
  /** Empty folders to create. */
  dirs?: string[];
  run(disk: Disk): Promise<unknown>;
}

export function seedTx(sim: SimDisk, c: TxCase): void {
  sim.seedDir(ROOT);
  for (const d of c.dirs ?? []) sim.seedDir(d);
  for (const [path, data] of Object.entries(c.seed)) {
    if (data === null) sim.seedDir(posix.dirname(path));
    else sim.seedFile(path, data);
  }
}

async function finalOf(c: TxCase): Promise<Files> {
  const sim = new SimDisk();
  seedTx(sim, c);
  await c.run(sim);
  const out: Files = {};
  for (const path of Object.keys(c.seed)) out[path] = sim.contentOf(path) ?? null;
  return out;
}

/**
 * Recovery after the cut. The crashed run's locks are left as the cut left them: its
 * process is gone (here: its pid is this process's, and none of its tokens is held any
 * more), so they are taken over, and recovery clears the links to its owner files.
 */
export async function recoverAfterCut(disk: Disk): Promise<void> {
  await need('recover')(ROOT, { disk });
}

export async function txScenario(c: TxCase): Promise<Scenario> {
  const final = await finalOf(c);
  return {
    name: c.name,
    setup: (sim) => seedTx(sim, c),
    run: (disk) => c.run(disk),
    recover: recoverAfterCut,
    durableWithoutDirSync: true,
    // Lock folders are tidied when empty; a leftover empty one holds nothing.
    check: oneOf(ROOT, [c.seed, final], { ignore: isLockPath }),
  };
}
