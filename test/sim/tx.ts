/**
 * Transaction crash scenarios: after a crash at any call and `recover(root)`, every file
 * of the transaction is old or every file is new (new if the commit had resolved), no
 * staged or temporary file is left, and the journal is gone.
 */
import { posix } from 'node:path';
import type { Disk } from '../../src/index.js';
import { SimDisk } from './sim-disk.js';
import { isLockPath, oneOf, type Files } from './expect.js';
import { answerOf, type Scenario } from './explore.js';
import { need } from './ops.js';

export const ROOT = '/data';

export interface TxCase {
  name: string;
  /** Files before: path → content, null for absent; every path the check looks at. */
  seed: Files;
  /** Empty folders to create. */
  dirs?: string[];
  /**
   * Folders that do not exist before (the folders of absent files in `seed` are not
   * made): after recovery they exist if the files are new, and are gone if they are old.
   */
  newDirs?: string[];
  /** The transaction fails and rolls back by itself (its files stay old, its folders go). */
  rollsBack?: boolean;
  run(disk: Disk): Promise<unknown>;
}

export function seedTx(sim: SimDisk, c: TxCase): void {
  sim.seedDir(ROOT);
  for (const d of c.dirs ?? []) sim.seedDir(d);
  for (const [path, data] of Object.entries(c.seed)) {
    if (data === null) {
      if (!c.newDirs?.includes(posix.dirname(path))) sim.seedDir(posix.dirname(path));
    } else sim.seedFile(path, data);
  }
}

/** The folders under `root` (state and lock folders left out), one per line. */
function foldersOf(sim: SimDisk): string[] {
  return [...sim.tree(ROOT)]
    .filter(([p, e]) => e.kind === 'dir' && !isLockPath(p) && !p.startsWith(`${ROOT}/.atomicfs`))
    .map(([p]) => p);
}

/**
 * The files' check, and the folders': the new folders exist when the files are new (the
 * final state), and are gone when they are old; an old state that still holds one is a
 * folder left behind. (A folder that holds nothing but a dead lock's leftovers counts as
 * gone: those are tolerated everywhere.)
 */
function withFolders(
  c: TxCase,
  final: Files,
  files: (sim: SimDisk, resolved: boolean) => string | undefined,
): (sim: SimDisk, resolved: boolean) => string | undefined {
  const newDirs = c.newDirs ?? [];
  return (sim, resolved) => {
    const problem = files(sim, resolved);
    if (problem || newDirs.length === 0) return problem;
    const isNew = !c.rollsBack && Object.entries(final).every(([p, v]) => (sim.contentOf(p) ?? null) === v);
    const tree = sim.tree(ROOT);
    const onlyLockLeftovers = (d: string): boolean => {
      const inside = [...tree].filter(([p]) => p.startsWith(`${d}/`));
      return inside.some(([p]) => isLockPath(p)) && inside.every(([p, e]) => isLockPath(p) || e.kind === 'dir');
    };
    for (const d of newDirs) {
      const there = tree.get(d)?.kind === 'dir';
      if (isNew && !there) return `the files are new but their folder ${d} is gone`;
      if (!isNew && there && !onlyLockLeftovers(d))
        return `the files are old but the folder ${d} made for them is left behind`;
    }
    return undefined;
  };
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
    check: withFolders(c, final, oneOf(ROOT, [c.seed, final], { ignore: isLockPath })),
    answer: c.newDirs ? (sim) => `${answerOf(sim)}\nfolders: ${foldersOf(sim).join(' ')}` : undefined,
  };
}
