/**
 * The single-file cases again, driven through the synchronous calls (writeFileSync…):
 * the same files, the same allowed states, so that the crash and fault tests hold the
 * synchronous path to the same promises as the asynchronous one.
 */
import type { Disk } from '../../src/index.js';
import * as atomicfs from '../../src/index.js';
import { cases, D, NEW, OTHER, S, T } from './cases.js';
import type { Ops } from './ops.js';
import type { SingleCase } from './single.js';

type Opts = Record<string, unknown> | undefined;

/** The synchronous form of each case that has one, by the case's name. */
const SYNC: Record<string, (disk: Disk, o: Opts) => unknown> = {
  'writeFile (replacing)': (disk, o) => atomicfs.writeFileSync(T, NEW, { disk, ...o }),
  'writeFile (new file)': (disk, o) => atomicfs.writeFileSync(T, NEW, { disk, ...o }),
  'writeFile (through a symlink)': (disk, o) => atomicfs.writeFileSync(`${D}/link`, NEW, { disk, ...o }),
  createFile: (disk, o) => atomicfs.createFileSync(T, NEW, { disk, ...o }),
  deleteFile: (disk, o) => atomicfs.deleteFileSync(T, { disk, ...o }),
  'copyFile (replacing)': (disk, o) => atomicfs.copyFileSync(S, T, { disk, ...o }),
  'copyFile (new file)': (disk, o) => atomicfs.copyFileSync(S, T, { disk, ...o }),
  'moveFile (same folder, replacing)': (disk, o) => atomicfs.moveFileSync(S, T, { disk, ...o }),
  'moveFile (another folder)': (disk, o) => atomicfs.moveFileSync(S, OTHER, { disk, ...o }),
  'moveFile (across devices: copy, sync, rename, unlink)': (disk, o) =>
    atomicfs.moveFileSync(S, '/data/other/t.txt', { disk, ...o }),
  writeJson: (disk, o) => atomicfs.writeJsonSync(T, { v: 2, list: [1, 2, 3] }, { disk, ...o }),
  updateJson: (disk, o) => atomicfs.updateJsonSync(T, (old) => ({ n: (old as { n: number }).n + 1 }), { disk, ...o }),
};

export const syncCases: [needs: (keyof Ops)[], c: SingleCase][] = cases.flatMap(([needs, c]) => {
  const run = SYNC[c.name];
  if (!run) return [];
  const name = c.name.replace(/^(\w+)/, '$1Sync');
  // A synchronous call throws where the asynchronous one rejects: the runners await either.
  return [[needs, { ...c, name, run: async (disk: Disk, o?: Opts) => run(disk, o) }]];
});

/** Every name in SYNC names a case (a renamed case must not silently drop its synchronous row). */
export const unmatchedSyncNames = Object.keys(SYNC).filter((n) => !cases.some(([, c]) => c.name === n));
