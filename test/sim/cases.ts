/**
 * The single-file cases every crash, fault and property test runs: each operation in its
 * typical shapes, with the files it starts from.
 */
import { need, type Ops } from './ops.js';
import type { SingleCase } from './single.js';

export const D = '/data';
export const T = `${D}/target.txt`;
export const S = `${D}/source.txt`;
export const OTHER = '/data/sub/moved.txt';
const OLD = 'old content, synced before the operation\n';
export const NEW = 'new content, written by the operation under test\n';
const BIG = 'chunk-'.repeat(200);

async function* chunks(): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < 3; i++) yield Buffer.from(`${BIG}${i}`);
}

export const cases: [needs: (keyof Ops)[], c: SingleCase][] = [
  [
    ['writeFile'],
    {
      name: 'writeFile (replacing)',
      root: D,
      seed: { [T]: OLD },
      run: (disk, o) => need('writeFile')(T, NEW, { disk, ...o }),
    },
  ],
  [
    ['writeFile'],
    {
      name: 'writeFile (new file)',
      root: D,
      seed: { [T]: null },
      run: (disk, o) => need('writeFile')(T, NEW, { disk, ...o }),
    },
  ],
  [
    ['writeFile'],
    {
      name: 'writeFile (stream, 3 chunks)',
      root: D,
      seed: { [T]: OLD },
      run: (disk, o) => need('writeFile')(T, chunks(), { disk, ...o }),
    },
  ],
  [
    ['writeFile'],
    {
      name: 'writeFile (through a symlink)',
      root: D,
      seed: { [T]: OLD },
      symlinks: [['target.txt', `${D}/link`]],
      run: (disk, o) => need('writeFile')(`${D}/link`, NEW, { disk, ...o }),
    },
  ],
  [
    ['createFile'],
    { name: 'createFile', root: D, seed: { [T]: null }, run: (disk, o) => need('createFile')(T, NEW, { disk, ...o }) },
  ],
  [
    ['atomicWrite'],
    {
      name: 'atomicWrite',
      root: D,
      seed: { [T]: OLD },
      run: (disk, o) =>
        need('atomicWrite')(
          T,
          async (h) => {
            await h.write('part one, ');
            await h.write(NEW);
          },
          { disk, ...o },
        ),
    },
  ],
  [
    ['deleteFile'],
    { name: 'deleteFile', root: D, seed: { [T]: OLD }, run: (disk, o) => need('deleteFile')(T, { disk, ...o }) },
  ],
  [
    ['copyFile'],
    {
      name: 'copyFile (replacing)',
      root: D,
      seed: { [S]: NEW, [T]: OLD },
      run: (disk, o) => need('copyFile')(S, T, { disk, ...o }),
    },
  ],
  [
    ['copyFile'],
    {
      name: 'copyFile (new file)',
      root: D,
      seed: { [S]: NEW, [T]: null },
      run: (disk, o) => need('copyFile')(S, T, { disk, ...o }),
    },
  ],
  [
    ['moveFile'],
    {
      name: 'moveFile (same folder, replacing)',
      root: D,
      seed: { [S]: NEW, [T]: OLD },
      run: (disk, o) => need('moveFile')(S, T, { disk, ...o }),
    },
  ],
  // Two folders: a state where both names hold the content loses nothing; a state where
  // neither does is what must never happen.
  [
    ['moveFile'],
    {
      name: 'moveFile (another folder)',
      root: D,
      seed: { [S]: NEW, [OTHER]: null },
      between: [{ [S]: NEW, [OTHER]: NEW }],
      run: (disk, o) => need('moveFile')(S, OTHER, { disk, ...o }),
    },
  ],
  [
    ['moveFile'],
    {
      name: 'moveFile (across devices: copy, sync, rename, unlink)',
      root: D,
      mounts: ['/data/other'],
      seed: { [S]: NEW, ['/data/other/t.txt']: OLD },
      between: [{ [S]: NEW, ['/data/other/t.txt']: NEW }],
      run: (disk, o) => need('moveFile')(S, '/data/other/t.txt', { disk, ...o }),
    },
  ],
  [
    ['writeJson'],
    {
      name: 'writeJson',
      root: D,
      seed: { [T]: '{"v":1}\n' },
      run: (disk, o) => need('writeJson')(T, { v: 2, list: [1, 2, 3] }, { disk, ...o }),
    },
  ],
  [
    ['updateJson'],
    {
      name: 'updateJson',
      root: D,
      seed: { [T]: '{"n":1}\n' },
      run: (disk, o) => need('updateJson')(T, (old) => ({ n: (old as { n: number }).n + 1 }), { disk, ...o }),
    },
  ],
  [
    ['rotateFile'],
    {
      name: 'rotateFile (maxFiles 2)',
      root: D,
      seed: { [T]: 'current\n', [`${T}.1`]: 'previous\n', [`${T}.2`]: 'oldest\n' },
      rerun: true,
      run: (disk) => need('rotateFile')(T, { maxFiles: 2, disk }),
    },
  ], // takes no retry option
];
