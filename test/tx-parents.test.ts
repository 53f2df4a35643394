/**
 * A transaction creates the missing parent folders of the files it writes, inside its
 * root only, and removes those it made when it rolls back (in process, or by recovery).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recover, transaction, withTransaction, TransactionError } from '../src/index.js';
import { HOST_TAG } from '../src/tx/owner.js';
import { tmpDir } from './helpers/tmp.js';
import { journals, leftovers, locksLeft } from './helpers/tx-files.js';

/** Journals and folder journals left in the root's state folder. */
function state(root: string): string[] {
  if (!existsSync(join(root, '.atomicfs'))) return [];
  return readdirSync(join(root, '.atomicfs')).filter((n) => !n.endsWith('.owner') && !n.endsWith('.locks'));
}

test('a transaction writes files into folders that do not exist yet', async () => {
  const root = await tmpDir('atomicfs-parents-');
  writeFileSync(join(root, 'top.md'), 'top');
  await withTransaction(
    (tx) => {
      tx.writeFile(join(root, 'a/b/c.md'), 'deep')
        .createFile(join(root, 'a/b/d.md'), 'also')
        .writeJson(join(root, 'x/y.json'), { y: 1 })
        .copyFile(join(root, 'top.md'), join(root, 'copies/top.md'));
    },
    { root },
  );
  assert.equal(readFileSync(join(root, 'a/b/c.md'), 'utf8'), 'deep');
  assert.equal(readFileSync(join(root, 'a/b/d.md'), 'utf8'), 'also');
  assert.equal(readFileSync(join(root, 'copies/top.md'), 'utf8'), 'top');
  assert.deepEqual(JSON.parse(readFileSync(join(root, 'x/y.json'), 'utf8')), { y: 1 });
  assert.deepEqual(state(root), [], 'no journal and no folder journal left');
  assert.deepEqual(leftovers(root), []);
  assert.deepEqual(locksLeft(root), []);
});

test('a move into a new folder works, and the source folder is left alone', async () => {
  const root = await tmpDir('atomicfs-parents-');
  mkdirSync(join(root, 'inbox'));
  writeFileSync(join(root, 'inbox/n.md'), 'note');
  await withTransaction((tx) => void tx.moveFile(join(root, 'inbox/n.md'), join(root, 'archive/2026/n.md')), { root });
  assert.equal(readFileSync(join(root, 'archive/2026/n.md'), 'utf8'), 'note');
  assert.ok(existsSync(join(root, 'inbox')), "the emptied source folder is not the transaction's to remove");
});

test('a rolled-back transaction removes the folders it made, and only those', async () => {
  const root = await tmpDir('atomicfs-parents-');
  mkdirSync(join(root, 'a'));
  writeFileSync(join(root, 'exists.md'), 'here');
  const tx = await transaction({ root });
  tx.writeFile(join(root, 'a/b/c/new.md'), 'new')
    .writeFile(join(root, 'fresh/one.md'), '1')
    .createFile(join(root, 'exists.md'), 'clash');
  await assert.rejects(
    tx.commit(),
    (err: unknown) => err instanceof TransactionError && err.rolledBack && /EEXIST|already exists/.test(err.message),
  );
  assert.ok(existsSync(join(root, 'a')), 'a folder that existed before stays');
  assert.ok(!existsSync(join(root, 'a/b')), 'a/b was made by the transaction: removed');
  assert.ok(!existsSync(join(root, 'fresh')));
  assert.equal(readFileSync(join(root, 'exists.md'), 'utf8'), 'here');
  assert.deepEqual(state(root), []);
  assert.deepEqual(locksLeft(root), []);
});

test('a folder made by a rolled-back transaction stays if something else was put in it', async () => {
  const root = await tmpDir('atomicfs-parents-');
  writeFileSync(join(root, 'exists.md'), 'here');
  const tx = await transaction({ root });
  const source = (async function* () {
    yield Buffer.from('part');
    // Someone else writes into the new folder while the transaction stages.
    writeFileSync(join(root, 'shared/other.md'), 'not ours');
    throw new Error('the producer failed');
  })();
  tx.writeFile(join(root, 'shared/mine.md'), source);
  await assert.rejects(tx.commit(), TransactionError);
  assert.equal(readFileSync(join(root, 'shared/other.md'), 'utf8'), 'not ours');
  assert.ok(!existsSync(join(root, 'shared/mine.md')));
  assert.deepEqual(state(root), []);
});

test('a path whose parent is a file fails cleanly and makes nothing', async () => {
  const root = await tmpDir('atomicfs-parents-');
  writeFileSync(join(root, 'file'), 'x');
  const tx = await transaction({ root });
  tx.writeFile(join(root, 'new/a.md'), 'a').writeFile(join(root, 'file/below.md'), 'no');
  await assert.rejects(
    tx.commit(),
    (err: unknown) =>
      err instanceof TransactionError && err.rolledBack && err.message.includes(join(root, 'file/below.md')),
  );
  assert.ok(!existsSync(join(root, 'new')), 'no folder is left made');
  assert.equal(readFileSync(join(root, 'file'), 'utf8'), 'x');
  assert.deepEqual(state(root), []);
});

test('folders outside the root are never made', async () => {
  const root = await tmpDir('atomicfs-parents-');
  const tx = await transaction({ root });
  assert.throws(() => tx.writeFile(join(root, '../outside-made/x.md'), 'no'), { code: 'EOUTSIDEROOT' });
  assert.ok(!existsSync(join(root, '../outside-made')));
});

test('recovery removes the folders of a dead transaction that never committed', async () => {
  const root = await tmpDir('atomicfs-parents-');
  const state = join(root, '.atomicfs');
  mkdirSync(join(root, 'made/deeper'), { recursive: true });
  mkdirSync(join(root, 'kept'), { recursive: true });
  writeFileSync(join(root, 'kept/file.md'), 'a file someone wrote since');
  mkdirSync(state);
  // What a transaction killed after making its folders leaves: the folder journal (of a
  // pid that is not running) and the folders.
  const id = `${HOST_TAG}-999999-0000abcd-0000000000ab`;
  writeFileSync(
    join(state, `${id}.dirs`),
    JSON.stringify({ v: 1, id, root, dirs: [join(root, 'made'), join(root, 'made/deeper'), join(root, 'kept')] }) +
      '\n',
  );
  await recover(root);
  assert.ok(!existsSync(join(root, 'made')));
  assert.equal(readFileSync(join(root, 'kept/file.md'), 'utf8'), 'a file someone wrote since');
  assert.deepEqual(readdirSync(state), []);
  assert.deepEqual(journals(root), []);
});

test('files in folders that do not exist: a forced delete does nothing, others fail with ENOENT naming them', async () => {
  const root = await tmpDir('atomicfs-parents-');
  writeFileSync(join(root, 'keep.md'), 'keep');
  await withTransaction(
    (tx) => void tx.deleteFile(join(root, 'nope/x.md'), { force: true }).writeFile(join(root, 'keep.md'), 'kept'),
    { root },
  );
  assert.equal(readFileSync(join(root, 'keep.md'), 'utf8'), 'kept');
  for (const stage of [
    (tx: Awaited<ReturnType<typeof transaction>>) => tx.deleteFile(join(root, 'nope/x.md')),
    (tx: Awaited<ReturnType<typeof transaction>>) => tx.moveFile(join(root, 'nope/x.md'), join(root, 'new/y.md')),
    (tx: Awaited<ReturnType<typeof transaction>>) => tx.copyFile(join(root, 'nope/x.md'), join(root, 'y.md')),
  ]) {
    const tx = await transaction({ root });
    stage(tx);
    await assert.rejects(
      tx.commit(),
      (err: unknown) =>
        err instanceof TransactionError &&
        err.rolledBack &&
        (err.cause as { code?: string }).code === 'ENOENT' &&
        err.message.includes(join(root, 'nope/x.md')) &&
        !err.message.includes('lock'),
    );
  }
  assert.ok(!existsSync(join(root, 'new')) && !existsSync(join(root, 'nope')));
  assert.deepEqual(state(root), []);
});
