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

/** Lock records under `dir`, recursively (those of the crashed run, in this test). */
async function lockRecords(disk: Disk, dir: string, out: string[]): Promise<string[]> {
  for (const name of await disk.readdir(dir)) {
    const path = posix.join(dir, name);
    const st = await disk.lstat(path);
    if (!st.isDirectory()) continue;
    if (isLockPath(name)) for (const r of await disk.readdir(path)) out.push(posix.join(path, r));
    else await lockRecords(disk, path, out);
  }
  return out;
}

/**
 * Recovery after the cut: the crashed run's process is gone, and lock takes over the
 * records of a dead holder on this host; in this one process its pid still lives, so its
 * records are removed first, then `recover(root)` runs.
 */
export async function recoverAfterCut(disk: Disk): Promise<void> {
  for (const record of await lockRecords(disk, ROOT, [])) await disk.unlink(record);
  await need('recover')(ROOT, { disk });
}

export async function txScenario(c: TxCase): Promise<Scenario> {
  const final = await finalOf(c);
  return {
    name: c.name,
    setup: (sim) => seedTx(sim, c),
    run: (disk) => c.run(disk),
    recover: recoverAfterCut,
    // Lock folders are tidied when empty; a leftover empty one holds nothing.
    check: oneOf(ROOT, [c.seed, final], { ignore: isLockPath }),
  };
}
