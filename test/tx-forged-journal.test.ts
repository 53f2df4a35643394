/**
 * Forged journals: every field of a journal that names a path (targets, move sources,
 * staged files, backup links, of transactions and of guards) is checked before recovery
 * changes anything. A journal whose checksums match but that names a file outside the
 * root, inside `.atomicfs/`, or a user's file as a staged file or backup, is refused with
 * EJOURNAL, and nothing is touched, in the root or outside it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { recover } from '../src/index.js';
import { HOST_TAG } from '../src/tx/owner.js';
import { stagePathFor } from '../src/file/temp-name.js';
import type { GuardOp, Intent, TxOp } from '../src/tx/journal.js';
import { tmpDir } from './helpers/tmp.js';

/** A journal of this process under another nonce: its owner is gone. */
const ID = `${HOST_TAG}-${process.pid}-00000000-0000000000ab`;

/** Every entry under `dir`: content for files, the target for links. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    out[name] = st.isSymbolicLink()
      ? `-> ${readlinkSync(p)}`
      : st.isDirectory()
        ? '<dir>'
        : `${readFileSync(p, 'utf8')} (ino ${st.ino})`;
  }
  return out;
}

interface Fixture {
  root: string;
  outside: string;
  ops: TxOp[];
}

/**
 * A committed, unapplied transaction, as its owner left it: replace a.txt, delete
 * gone.txt, move src.txt to dst.txt; staged files and backup links in place.
 */
async function committedTx(): Promise<Fixture> {
  const root = realpathSync(await tmpDir('atomicfs-forged-'));
  const outside = realpathSync(await tmpDir('atomicfs-forged-outside-'));
  writeFileSync(join(outside, 'victim'), 'precious');
  for (const [n, c] of Object.entries({ 'a.txt': 'A0', 'gone.txt': 'G0', 'src.txt': 'S0', 'keep.txt': 'K0' }))
    writeFileSync(join(root, n), c);
  const p = (n: string): string => join(root, n);
  const put: TxOp = {
    kind: 'put',
    target: p('a.txt'),
    stage: stagePathFor(p('a.txt'), ID),
    backup: stagePathFor(p('a.txt'), ID),
  };
  const del: TxOp = { kind: 'delete', target: p('gone.txt'), backup: stagePathFor(p('gone.txt'), ID) };
  const move: TxOp = {
    kind: 'move',
    source: p('src.txt'),
    target: p('dst.txt'),
    stage: stagePathFor(p('dst.txt'), ID),
    sourceBackup: stagePathFor(p('src.txt'), ID),
  };
  writeFileSync(put.stage, 'A1');
  linkSync(p('a.txt'), put.backup!);
  linkSync(p('gone.txt'), del.backup!);
  linkSync(p('src.txt'), move.stage);
  linkSync(p('src.txt'), move.sourceBackup!);
  return { root, outside, ops: [put, del, move] };
}

function writeJournal(root: string, intent: Intent, mark: string): void {
  const line = JSON.stringify(intent) + '\n';
  const sha = createHash('sha256').update(line).digest('hex');
  mkdirSync(join(root, '.atomicfs'), { recursive: true });
  writeFileSync(join(root, '.atomicfs', `${ID}.journal`), `${line}${JSON.stringify({ mark, sha256: sha })}\n`);
}

function intentOf(root: string, type: 'tx' | 'guard', ops: (TxOp | GuardOp)[]): Intent {
  return { v: 1, type, id: ID, root, pid: process.pid, createdAt: Date.now(), ops } as Intent;
}

test('the unforged journal of the fixture rolls forward (so the refusals below are the checks at work)', async () => {
  const { root, ops } = await committedTx();
  writeJournal(root, intentOf(root, 'tx', ops), 'commit');
  assert.deepEqual(await recover(root), { rolledBack: 0, rolledForward: 1, tempsRemoved: 3 });
  assert.deepEqual(
    Object.keys(tree(root)).filter((n) => !n.startsWith('.atomicfs')),
    ['a.txt', 'dst.txt', 'keep.txt'],
  );
  assert.equal(readFileSync(join(root, 'a.txt'), 'utf8'), 'A1');
  assert.equal(readFileSync(join(root, 'dst.txt'), 'utf8'), 'S0');
});

type Forgery = (f: Fixture) => (TxOp | GuardOp)[];
const inRoot = (f: Fixture, n: string): string => join(f.root, n);
const victim = (f: Fixture): string => join(f.outside, 'victim');
const [PUT, DEL, MOVE] = [0, 1, 2];
function edit<K extends TxOp['kind']>(
  f: Fixture,
  i: number,
  change: (op: Extract<TxOp, { kind: K }>) => object,
): TxOp[] {
  return f.ops.map((op, j) => (j === i ? { ...op, ...change(op as Extract<TxOp, { kind: K }>) } : op));
}

const forgeries: [string, Forgery][] = [
  [
    'a replaced file outside the root',
    (f) => edit<'put'>(f, PUT, () => ({ target: victim(f), stage: stagePathFor(victim(f), ID), backup: undefined })),
  ],
  ['a deleted file outside the root', (f) => edit<'delete'>(f, DEL, () => ({ target: victim(f), backup: undefined }))],
  [
    'a deleted file inside .atomicfs/',
    (f) => edit<'delete'>(f, DEL, () => ({ target: join(f.root, '.atomicfs', 'x'), backup: undefined })),
  ],
  [
    'a deleted file named through ..',
    (f) =>
      edit<'delete'>(f, DEL, () => ({
        target: `${f.root}/sub/../../${f.outside.split('/').pop()!}/victim`,
        backup: undefined,
      })),
  ],
  [
    'a deleted file named by a relative path',
    (f) => edit<'delete'>(f, DEL, () => ({ target: 'keep.txt', backup: undefined })),
  ],
  [
    'a move source outside the root',
    (f) => edit<'move'>(f, MOVE, () => ({ source: victim(f), sourceBackup: undefined })),
  ],
  [
    'a move target outside the root',
    (f) => edit<'move'>(f, MOVE, () => ({ target: victim(f), stage: stagePathFor(victim(f), ID) })),
  ],
  ['a staged file that is a user file', (f) => edit<'put'>(f, PUT, () => ({ stage: inRoot(f, 'keep.txt') }))],
  [
    'a staged file of another transaction',
    (f) =>
      edit<'put'>(f, PUT, () => ({ stage: stagePathFor(inRoot(f, 'a.txt'), `${HOST_TAG}-1-00000000-0000000000cd`) })),
  ],
  [
    'a staged file beside another file',
    (f) => edit<'put'>(f, PUT, (op) => ({ stage: join(f.root, 'sub', op.stage.split('/').pop()!) })),
  ],
  [
    'a staged file outside the root',
    (f) => edit<'put'>(f, PUT, (op) => ({ stage: join(f.outside, op.stage.split('/').pop()!) })),
  ],
  ["a move's staged file that is a user file", (f) => edit<'move'>(f, MOVE, () => ({ stage: inRoot(f, 'keep.txt') }))],
  ['a backup link that is a user file', (f) => edit<'put'>(f, PUT, () => ({ backup: inRoot(f, 'keep.txt') }))],
  ["a delete's backup link outside the root", (f) => edit<'delete'>(f, DEL, () => ({ backup: victim(f) }))],
  [
    "a move source's backup link that is a user file",
    (f) => edit<'move'>(f, MOVE, () => ({ sourceBackup: inRoot(f, 'keep.txt') })),
  ],
  [
    "a move source's backup beside the target, not the source",
    (f) => edit<'move'>(f, MOVE, (op) => ({ sourceBackup: join(f.root, 'sub', op.sourceBackup!.split('/').pop()!) })),
  ],
];

for (const mark of ['commit', 'none'] as const) {
  for (const [what, forge] of forgeries) {
    test(`a forged journal (${mark === 'commit' ? 'committed' : 'not committed'}) naming ${what}: EJOURNAL, nothing touched`, async () => {
      const f = await committedTx();
      mkdirSync(join(f.root, 'sub'));
      const intent = intentOf(f.root, 'tx', forge(f));
      if (mark === 'commit') writeJournal(f.root, intent, 'commit');
      else {
        mkdirSync(join(f.root, '.atomicfs'), { recursive: true });
        writeFileSync(join(f.root, '.atomicfs', `${ID}.journal`), JSON.stringify(intent) + '\n');
      }
      const [inside, outside] = [tree(f.root), tree(f.outside)];
      await assert.rejects(
        recover(f.root),
        (err: unknown) => (err as { code?: string }).code === 'EJOURNAL' && (err as Error).message.includes(ID),
      );
      assert.deepEqual(tree(f.root), inside);
      assert.deepEqual(tree(f.outside), outside);
    });
  }
}

const guardForgeries: [string, (f: Fixture, op: GuardOp) => GuardOp][] = [
  ['a guarded file outside the root', (f) => ({ kind: 'guard', target: victim(f), backup: null })],
  ["a guarded file's copy that is a user file", (f, op) => ({ ...op, backup: inRoot(f, 'keep.txt') })],
  [
    "a guarded file's copy outside the root",
    (f, op) => ({ ...op, backup: join(f.outside, op.backup!.split('/').pop()!) }),
  ],
];

for (const [what, forge] of guardForgeries) {
  test(`a forged guard journal (ready) naming ${what}: EJOURNAL, nothing touched`, async () => {
    const f = await committedTx();
    const copy = stagePathFor(inRoot(f, 'a.txt'), ID);
    writeFileSync(copy, 'A original');
    writeJournal(
      f.root,
      intentOf(f.root, 'guard', [forge(f, { kind: 'guard', target: inRoot(f, 'a.txt'), backup: copy })]),
      'ready',
    );
    const [inside, outside] = [tree(f.root), tree(f.outside)];
    await assert.rejects(recover(f.root), { code: 'EJOURNAL' });
    assert.deepEqual(tree(f.root), inside);
    assert.deepEqual(tree(f.outside), outside);
  });
}

test('the unforged guard journal of the fixture restores the copy (so the refusals above are the checks at work)', async () => {
  const f = await committedTx();
  const copy = stagePathFor(inRoot(f, 'a.txt'), ID);
  writeFileSync(copy, 'A original');
  writeJournal(
    f.root,
    intentOf(f.root, 'guard', [{ kind: 'guard', target: inRoot(f, 'a.txt'), backup: copy }]),
    'ready',
  );
  const report = await recover(f.root);
  assert.equal(report.rolledBack, 1);
  assert.equal(readFileSync(join(f.root, 'a.txt'), 'utf8'), 'A original');
});
