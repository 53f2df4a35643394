/** The transaction shapes every crash and property test runs. */
import type { Disk } from '../../src/index.js';
import { need, type Ops, type Tx } from './ops.js';
import { ROOT, type TxCase } from './tx.js';

const A = `${ROOT}/a.txt`;
const B = `${ROOT}/b.txt`;
const C = `${ROOT}/c.txt`;

/** How the cases commit: `tx.commit()`, or `tx.commitSync()` for the synchronous rows (crash-tx-sync). */
export const commitWay = { sync: false };

async function commit(disk: Disk, stage: (tx: Tx) => void): Promise<void> {
  const tx = await need('transaction')({ root: ROOT, disk });
  stage(tx);
  if (commitWay.sync) tx.commitSync();
  else await tx.commit();
}

/** The guarded code's own failure: guard must pass it through unchanged. */
export class EditError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
    cause: unknown,
  ) {
    super(`edit ${path}: ${code}`, { cause });
    this.name = 'EditError';
  }
}

/** Rewrites a file in place, as a tool with its own handle would (guard's use case). */
async function editInPlace(disk: Disk, path: string, text: string): Promise<void> {
  try {
    const f = await disk.open(path, 'r+');
    try {
      await f.write(Buffer.from(text), 0);
      await f.truncate(Buffer.byteLength(text));
    } finally {
      await f.close();
    }
  } catch (err) {
    throw new EditError(path, (err as { code?: string }).code ?? 'EUNKNOWN', err);
  }
}

export const txCases: [needs: (keyof Ops)[], c: TxCase][] = [
  [
    ['transaction', 'recover'],
    {
      name: 'transaction: writes only (2 replaced, 1 new)',
      seed: { [A]: 'a old', [B]: 'b old', [C]: null },
      run: (disk) =>
        commit(
          disk,
          (tx) => void tx.writeFile(A, 'a new').writeFile(B, 'b new, longer than before').writeFile(C, 'c new'),
        ),
    },
  ],
  [
    ['transaction', 'recover'],
    {
      name: 'transaction: create, delete, move, write',
      seed: { [A]: 'a old', [B]: 'b old', [C]: null, [`${ROOT}/moved.txt`]: null, [`${ROOT}/d.txt`]: 'd old' },
      run: (disk) =>
        commit(
          disk,
          (tx) =>
            void tx
              .createFile(C, 'c created')
              .deleteFile(B)
              .moveFile(A, `${ROOT}/moved.txt`)
              .writeFile(`${ROOT}/d.txt`, 'd new'),
        ),
    },
  ],
  [
    ['transaction', 'recover'],
    {
      name: 'transaction: files in three folders',
      seed: { [`${ROOT}/one/a`]: 'one old', [`${ROOT}/two/b`]: 'two old', [`${ROOT}/three/c`]: null },
      run: (disk) =>
        commit(
          disk,
          (tx) =>
            void tx
              .writeFile(`${ROOT}/one/a`, 'one new')
              .writeFile(`${ROOT}/two/b`, 'two new')
              .writeFile(`${ROOT}/three/c`, 'three new'),
        ),
    },
  ],
  [
    ['transaction', 'recover'],
    {
      name: 'transaction: copy and move across folders',
      seed: {
        [`${ROOT}/src/x`]: 'x content',
        [`${ROOT}/dst/x`]: 'dst old',
        [`${ROOT}/src/y`]: 'y content',
        [`${ROOT}/dst/y`]: null,
      },
      run: (disk) =>
        commit(
          disk,
          (tx) => void tx.copyFile(`${ROOT}/src/x`, `${ROOT}/dst/x`).moveFile(`${ROOT}/src/y`, `${ROOT}/dst/y`),
        ),
    },
  ],
  [
    ['transaction', 'recover'],
    {
      name: 'transaction: new files in new folders (3 made, 1 nested)',
      seed: { [A]: 'a old', [`${ROOT}/n/m/x.md`]: null, [`${ROOT}/n/y.md`]: null, [`${ROOT}/k/z.md`]: null },
      newDirs: [`${ROOT}/n`, `${ROOT}/n/m`, `${ROOT}/k`],
      run: (disk) =>
        commit(
          disk,
          (tx) =>
            void tx
              .writeFile(A, 'a new')
              .writeFile(`${ROOT}/n/m/x.md`, 'x new')
              .createFile(`${ROOT}/n/y.md`, 'y new')
              .writeFile(`${ROOT}/k/z.md`, 'z new'),
        ),
    },
  ],
  [
    ['transaction', 'recover'],
    {
      name: 'transaction: new folders, rolled back (EEXIST at commit)',
      seed: { [A]: 'a old', [`${ROOT}/n/m/x.md`]: null },
      newDirs: [`${ROOT}/n`, `${ROOT}/n/m`],
      rollsBack: true,
      run: async (disk) => {
        const failed = await commit(
          disk,
          (tx) => void tx.writeFile(`${ROOT}/n/m/x.md`, 'x new').createFile(A, 'clash'),
        ).then(
          () => undefined,
          (err: unknown) => err,
        );
        // A crash surfaces as its own error and is passed on; the refusal is expected.
        if ((failed as { rolledBack?: boolean } | undefined)?.rolledBack === true) return;
        throw failed instanceof Error ? failed : new Error('the commit should have been refused');
      },
    },
  ],
  [
    ['guard', 'recover'],
    {
      name: 'guard: two files edited in place',
      seed: { [A]: 'a original content', [B]: 'b original' },
      run: (disk) =>
        need('guard')(
          [A, B],
          async () => {
            await editInPlace(disk, A, 'a EDITED');
            await editInPlace(disk, B, 'b EDITED in place, longer');
          },
          { root: ROOT, disk },
        ),
    },
  ],
];
