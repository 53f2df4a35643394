/**
 * Backups that undo: a batch's backup records the files it created (and the folders it
 * made for them), and restore(id) returns every file the batch touched to its state
 * before it, byte for byte and mode for mode, removing what it created. The restore is
 * a backup of its own (operation `restore`), so it can be undone too. Batches carry names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AuditLog, BackupStore, guard, transaction, withTransaction } from '../src/index.js';
import { sha256Hex } from '../src/base/sha256.js';
import { tmpDir } from './helpers/tmp.js';

/** Every file and folder under `dir` (state, backups and audit log left out): content and mode. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      if (name === '.atomicfs' || name === 'backups' || name === 'audit.log' || name.endsWith('.atomicfs-lock'))
        continue;
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        out[`${relative(dir, p)}/`] = 'dir';
        walk(p);
      } else out[relative(dir, p)] = `${(st.mode & 0o7777).toString(8)} ${readFileSync(p, 'utf8')}`;
    }
  };
  walk(dir);
  return out;
}

async function vault(): Promise<{ root: string; store: BackupStore; audit: AuditLog }> {
  const root = await tmpDir('atomicfs-undo-');
  mkdirSync(join(root, 'notes/old'), { recursive: true });
  for (let i = 0; i < 6; i++) writeFileSync(join(root, `notes/n${i}.md`), `note ${i}\n`);
  writeFileSync(join(root, 'notes/old/x.md'), 'x\n');
  chmodSync(join(root, 'notes/n1.md'), 0o600);
  return { root, store: new BackupStore(join(root, 'backups')), audit: new AuditLog(join(root, 'audit.log')) };
}

/** Edits, deletes and new notes, some in folders that do not exist yet. */
async function batch(root: string, store: BackupStore, audit: AuditLog, name: string): Promise<void> {
  await withTransaction(
    (tx) => {
      tx.writeFile(join(root, 'notes/n0.md'), 'edited 0\n').writeFile(join(root, 'notes/n1.md'), 'edited 1\n');
      tx.deleteFile(join(root, 'notes/n2.md')).deleteFile(join(root, 'notes/old/x.md'));
      tx.moveFile(join(root, 'notes/n3.md'), join(root, 'archive/2026/n3.md'));
      tx.createFile(join(root, 'notes/new.md'), 'new\n').writeFile(join(root, 'projects/garden/plan.md'), 'plan\n');
    },
    { root, backup: store, audit, name },
  );
}

test('restore(id) returns a batch of edits, deletes, moves and new notes in new folders to the state before it', async () => {
  const { root, store, audit } = await vault();
  const before = tree(root);
  await batch(root, store, audit, 'weekly review');
  const after = tree(root);
  const [b] = await store.list();
  assert.ok(b);
  assert.equal(b.name, 'weekly review');
  assert.equal(b.operation, 'transaction');
  assert.deepEqual(b.created.map((p) => relative(root, p)).sort(), [
    'archive/2026/n3.md',
    'notes/new.md',
    'projects/garden/plan.md',
  ]);
  assert.deepEqual(b.deleted.map((p) => relative(root, p)).sort(), ['notes/n2.md', 'notes/n3.md', 'notes/old/x.md']);
  assert.deepEqual(b.createdDirs.map((p) => relative(root, p)).sort(), [
    'archive',
    'archive/2026',
    'projects',
    'projects/garden',
  ]);
  assert.equal(b.files.length, 5, 'kept: 2 edited, 2 deleted, 1 moved away');

  const r = await store.restore(b.id, { audit });
  assert.deepEqual(tree(root), before, 'byte- and mode-identical, new notes and their folders gone');
  assert.deepEqual(r.removed.map((p) => relative(root, p)).sort(), [
    'archive/2026/n3.md',
    'notes/new.md',
    'projects/garden/plan.md',
  ]);
  assert.deepEqual(r.removedDirs.map((p) => relative(root, p)).sort(), [
    'archive',
    'archive/2026',
    'projects',
    'projects/garden',
  ]);

  // The restore is a backup of its own, listed as one, and audited as one.
  const [undo] = await store.list();
  assert.ok(undo && r.backupId === undo.id);
  assert.equal(undo.operation, 'restore');
  assert.equal(undo.restoreOf, b.id);
  assert.equal(undo.name, `restore of ${b.id} (weekly review)`);
  const last = (await audit.entries()).at(-1);
  assert.equal(last?.operation, 'restore');
  assert.equal(last?.name, undo.name);
  assert.equal(last?.backupId, undo.id);

  // Undo the restore: the batch's state again, its folders made again.
  await store.restore(undo.id, { audit, name: 'redo weekly review' });
  assert.deepEqual(tree(root), after);
  assert.equal((await store.list())[0]?.name, 'redo weekly review');
  assert.equal((await audit.verify()).ok, true);
});

test('a restore leaves a folder the batch made if something else now lives in it', async () => {
  const { root, store, audit } = await vault();
  await batch(root, store, audit, 'b');
  writeFileSync(join(root, 'projects/garden/mine.md'), 'written since\n');
  const r = await store.restore((await store.list())[0]!.id);
  assert.equal(readFileSync(join(root, 'projects/garden/mine.md'), 'utf8'), 'written since\n');
  assert.deepEqual(r.removedDirs.map((p) => relative(root, p)).sort(), ['archive', 'archive/2026']);
});

test('a batch that only creates files still gets a backup, and its restore removes them', async () => {
  const root = await tmpDir('atomicfs-undo-');
  const store = new BackupStore(join(root, 'backups'));
  await withTransaction((tx) => void tx.writeFile(join(root, 'a/one.md'), '1').writeFile(join(root, 'two.md'), '2'), {
    root,
    backup: store,
    name: 'only new',
  });
  const [b] = await store.list();
  assert.ok(b, 'a backup was kept');
  assert.deepEqual(b.files, []);
  assert.equal(b.created.length, 2);
  await store.restore(b.id, { backup: false });
  assert.deepEqual(
    readdirSync(root)
      .filter((n) => n !== '.atomicfs')
      .sort(),
    ['backups'],
  );
  assert.equal((await store.list()).length, 1, 'backup: false keeps no backup of the restore');
});

test('names: kept in the manifest and the audit entry, searchable, and checked', async () => {
  const { root, store, audit } = await vault();
  await batch(root, store, audit, 'Weekly review 2026-11');
  await withTransaction((tx) => void tx.writeFile(join(root, 'notes/n4.md'), 'x'), {
    root,
    backup: store,
    audit,
    name: 'daily sync',
  });
  await withTransaction((tx) => void tx.writeFile(join(root, 'notes/n5.md'), 'y'), { root, backup: store, audit });
  assert.deepEqual(
    (await store.list({ name: 'weekly' })).map((b) => b.name),
    ['Weekly review 2026-11'],
  );
  assert.deepEqual(
    (await store.list({ name: /^daily/ })).map((b) => b.name),
    ['daily sync'],
  );
  assert.equal((await store.list()).length, 3);
  assert.equal((await store.list({ operation: 'restore' })).length, 0);
  assert.deepEqual(
    (await audit.entries({ name: 'SYNC' })).map((e) => e.name),
    ['daily sync'],
  );
  assert.equal((await audit.summary({ name: 'review' })).entries, 1);
  assert.equal((await audit.verify()).ok, true);
  for (const bad of ['', 'two\nlines', 'x'.repeat(201), 42]) {
    await assert.rejects(transaction({ root, name: bad as string }), { code: 'EINVAL' });
    await assert.rejects(
      guard([join(root, 'notes/n4.md')], () => undefined, { root, name: bad as string }),
      { code: 'EINVAL' },
    );
  }
  await assert.rejects(store.restore((await store.list())[0]!.id, { name: 'a\u0007bell' }), { code: 'EINVAL' });
  await assert.rejects(store.list({ name: '' }), { code: 'EINVAL' });
});

test('guard takes a name and records it, with the files before and after', async () => {
  const { root, audit } = await vault();
  const path = join(root, 'notes/n4.md');
  await guard([path], () => writeFileSync(path, 'edited in place\n'), { root, audit, name: 'in-place edit' });
  const [e] = await audit.entries({ name: 'in-place' });
  assert.equal(e?.operation, 'guard');
  assert.deepEqual(e?.files, [
    { path, before: sha256Hex('note 4\n'), after: sha256Hex('edited in place\n'), size: 16 },
  ]);
  await assert.rejects(
    guard(
      [path],
      () => {
        writeFileSync(path, 'broken');
        throw new Error('no');
      },
      { root, audit, name: 'failing edit' },
    ),
  );
  const [f] = await audit.entries({ name: 'failing' });
  assert.equal(f?.outcome, 'rolled-back');
  assert.deepEqual(f?.files[0], {
    path,
    before: sha256Hex('edited in place\n'),
    after: sha256Hex('edited in place\n'),
    size: 0,
  });
});

test('failed and rolled-back transactions record the real hashes of the files that existed', async () => {
  const { root, audit } = await vault();
  const tx = await transaction({ root, audit, name: 'clash' });
  tx.writeFile(join(root, 'notes/n0.md'), 'changed')
    .createFile(join(root, 'notes/n1.md'), 'exists already')
    .writeFile(join(root, 'notes/fresh.md'), 'new');
  await assert.rejects(tx.commit(), { code: 'ETXFAILED' });
  const [e] = await audit.entries();
  assert.equal(e?.outcome, 'rolled-back');
  assert.equal(e?.name, 'clash');
  const byPath = Object.fromEntries((e?.files ?? []).map((f) => [relative(root, f.path), f.before]));
  assert.deepEqual(byPath, {
    'notes/n0.md': sha256Hex('note 0\n'),
    'notes/n1.md': sha256Hex('note 1\n'),
    'notes/fresh.md': null,
  });
});

test('an explicit rollback records the files it would have changed, as they are', async () => {
  const { root, audit } = await vault();
  const tx = await transaction({ root, audit, name: 'abandoned' });
  tx.writeFile(join(root, 'notes/n0.md'), 'never').writeFile(join(root, 'notes/none.md'), 'never');
  await tx.rollback();
  const [e] = await audit.entries({ name: 'abandoned' });
  assert.equal(e?.outcome, 'rolled-back');
  assert.deepEqual(
    e?.files.map((f) => [relative(root, f.path), f.before, f.after]),
    [
      ['notes/n0.md', sha256Hex('note 0\n'), sha256Hex('note 0\n')],
      ['notes/none.md', null, null],
    ],
  );
});
