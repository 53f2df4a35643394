/** BackupStore: backups from writes and transactions, list, restore, verify, and bad input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, writeFile as fsWriteFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditLog, BackupStore, deleteFile, transaction, withTransaction, writeFile } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';
import { diskWithoutLinks } from './helpers/backup-disk.js';

async function snapshot(dir: string, names: string[]): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const n of names) out[n] = await readFile(join(dir, n), 'utf8').catch(() => null);
  return out;
}

test('writeFile with a backup keeps the previous version (by hard link) and restore puts it back', async () => {
  const dir = await tmpDir();
  const store = new BackupStore(join(dir, 'backups'));
  const target = join(dir, 'a.txt');
  await writeFile(target, 'version 1', { mode: 0o640 });
  const oldIno = (await stat(target)).ino;
  await writeFile(target, 'version 2', { backup: store });
  const [b] = await store.list();
  assert.ok(b);
  assert.equal(b.operation, 'writeFile');
  assert.ok(b.createdAt instanceof Date && Math.abs(b.createdAt.getTime() - Date.now()) < 60_000);
  assert.equal(b.files.length, 1);
  assert.equal(b.files[0]!.path, target);
  assert.equal(b.files[0]!.size, 9);
  assert.equal(b.files[0]!.mode, 0o640);
  const kept = join(store.dir, b.id, b.files[0]!.stored);
  assert.equal(await readFile(kept, 'utf8'), 'version 1');
  assert.equal((await stat(kept)).ino, oldIno, 'kept by hard link: the old inode itself');
  assert.deepEqual(await store.verify(b.id), { id: b.id, ok: true, problems: [] });

  const r = await store.restore(b.id);
  assert.deepEqual(r.restored, [target]);
  assert.equal(await readFile(target, 'utf8'), 'version 1');
  assert.equal((await stat(target)).mode & 0o777, 0o640);
  assert.equal(await readFile(kept, 'utf8'), 'version 1', 'the backup itself is untouched by the restore');
});

test('a write of a new file makes no backup; ids sort by time and list() is newest first', async () => {
  const dir = await tmpDir();
  const store = new BackupStore(join(dir, 'backups'));
  const target = join(dir, 'n.txt');
  await writeFile(target, 'v0', { backup: store });
  assert.deepEqual(await store.list(), []);
  for (let i = 1; i <= 3; i++) await writeFile(target, `v${i}`, { backup: store });
  const list = await store.list();
  assert.equal(list.length, 3);
  assert.deepEqual(
    list.map((b) => b.id),
    list
      .map((b) => b.id)
      .sort()
      .reverse(),
  );
  assert.equal(await readFile(join(store.dir, list[0]!.id, list[0]!.files[0]!.stored), 'utf8'), 'v2');
  assert.equal(await readFile(join(store.dir, list[2]!.id, list[2]!.files[0]!.stored), 'utf8'), 'v0');
});

test('one backup per transaction, files under their paths relative to the root; restore is one transaction', async () => {
  const root = await tmpDir();
  await mkdir(join(root, 'notes', 'deep'), { recursive: true });
  await fsWriteFile(join(root, 'notes', 'a.md'), 'a1');
  await fsWriteFile(join(root, 'notes', 'deep', 'b.md'), 'b1');
  await fsWriteFile(join(root, 'gone.md'), 'g1');
  const store = new BackupStore(join(root, '.backups'));
  const audit = new AuditLog(join(root, 'audit.log'));
  const tx = await transaction({ root, backup: store, audit });
  tx.writeFile(join(root, 'notes/a.md'), 'a2')
    .writeFile(join(root, 'notes/deep/b.md'), 'b2')
    .writeFile(join(root, 'notes/new.md'), 'n2')
    .deleteFile(join(root, 'gone.md'));
  const done = await tx.commit();
  const list = await store.list();
  assert.equal(list.length, 1, 'one backup for the whole transaction');
  const b = list[0]!;
  assert.equal(b.transactionId, done.id);
  assert.equal(b.operation, 'transaction');
  assert.deepEqual(b.files.map((f) => f.stored).sort(), ['files/gone.md', 'files/notes/a.md', 'files/notes/deep/b.md']);
  const [entry] = await audit.entries();
  assert.equal(entry?.backupId, b.id, 'the audit entry names the backup');

  await store.restore(b.id, { audit });
  assert.deepEqual(await snapshot(root, ['notes/a.md', 'notes/deep/b.md', 'gone.md', 'notes/new.md']), {
    'notes/a.md': 'a1',
    'notes/deep/b.md': 'b1',
    'gone.md': 'g1',
    'notes/new.md': null, // created by the change: the restore removes it
  });
  const entries = await audit.entries();
  assert.equal(entries.length, 2);
  assert.equal(entries[1]!.outcome, 'ok');
  assert.equal(entries[1]!.operation, 'restore');
});

test('deleteFile with a backup keeps the deleted file', async () => {
  const dir = await tmpDir();
  const store = new BackupStore(join(dir, 'b'), { root: dir });
  await fsWriteFile(join(dir, 'x.txt'), 'precious');
  await deleteFile(join(dir, 'x.txt'), { backup: store });
  const [b] = await store.list();
  assert.equal(b?.files[0]?.stored, 'files/x.txt');
  await store.restore(b.id);
  assert.equal(await readFile(join(dir, 'x.txt'), 'utf8'), 'precious');
});

test('restore can keep the current versions first, so that it can itself be undone', async () => {
  const dir = await tmpDir();
  const store = new BackupStore(join(dir, 'b'));
  const f = join(dir, 'f.txt');
  await writeFile(f, 'old');
  await writeFile(f, 'new', { backup: store });
  const [b] = await store.list();
  await store.restore(b!.id, { backup: store });
  assert.equal(await readFile(f, 'utf8'), 'old');
  const [undo] = await store.list();
  assert.notEqual(undo!.id, b!.id);
  await store.restore(undo!.id);
  assert.equal(await readFile(f, 'utf8'), 'new');
});

test('where link(2) is refused, files are kept by copy', async () => {
  for (const opts of [{ disk: diskWithoutLinks('EXDEV') }, { disk: diskWithoutLinks('EPERM') }, { hardLinks: false }]) {
    const dir = await tmpDir();
    const store = new BackupStore(join(dir, 'b'), opts);
    const f = join(dir, 'f.txt');
    await writeFile(f, 'first', { mode: 0o600 });
    const ino = (await stat(f)).ino;
    await writeFile(f, 'second', { backup: store, disk: opts.disk });
    const [b] = await store.list();
    const kept = join(store.dir, b!.id, b!.files[0]!.stored);
    assert.equal(await readFile(kept, 'utf8'), 'first');
    assert.notEqual((await stat(kept)).ino, ino, 'a copy, not a link');
    assert.equal((await stat(kept)).mode & 0o777, 0o600);
    await store.restore(b!.id);
    assert.equal(await readFile(f, 'utf8'), 'first');
  }
});

test('unknown, malformed and unfinished ids get clear errors and change nothing', async () => {
  const dir = await tmpDir();
  const store = new BackupStore(join(dir, 'b'));
  const f = join(dir, 'f.txt');
  await writeFile(f, 'one');
  await writeFile(f, 'two', { backup: store });
  await assert.rejects(store.restore('20260101T000000000Z-00000000'), (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, 'ENOENT');
    assert.match(err.message, /backup 20260101T000000000Z-00000000 in .* does not exist/);
    return true;
  });
  await assert.rejects(store.restore('../../etc'), { code: 'EINVAL' });
  // A folder without manifest: an unfinished backup.
  await mkdir(join(store.dir, '20260101T000000000Z-0000abcd', 'files'), { recursive: true });
  await assert.rejects(store.restore('20260101T000000000Z-0000abcd'), /unfinished/);
  assert.equal((await store.list()).length, 1, 'unfinished backups are not listed');
  assert.equal(await readFile(f, 'utf8'), 'two');
});

test('a corrupt manifest is refused (ECORRUPT), not listed, reported by verify, and changes nothing', async () => {
  const dir = await tmpDir();
  const store = new BackupStore(join(dir, 'b'));
  const f = join(dir, 'f.txt');
  await writeFile(f, 'one');
  await writeFile(f, 'two', { backup: store });
  const [b] = await store.list();
  const manifest = join(store.dir, b!.id, 'manifest.json');
  const good = await readFile(manifest, 'utf8');
  const variants = [
    good.replace('"size": 3', '"size": 4'), // edited: checksum no longer matches
    good.slice(0, 40), // truncated
    '{"hello": "world"}', // not ours
    good.replace(/"stored": "[^"]+"/, '"stored": "../../../etc/passwd"'), // escapes the backup folder
  ];
  for (const text of variants) {
    await fsWriteFile(manifest, text);
    await assert.rejects(store.restore(b!.id), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ECORRUPT');
      assert.match(err.message, /manifest\.json: corrupt backup manifest/);
      return true;
    });
    assert.deepEqual(await store.list(), []);
    const v = await store.verify(b!.id);
    assert.equal(v.ok, false);
    assert.equal(await readFile(f, 'utf8'), 'two');
  }
});

test('a damaged kept copy fails the restore with IntegrityError and changes nothing', async () => {
  const dir = await tmpDir();
  const store = new BackupStore(join(dir, 'b'));
  const f1 = join(dir, 'f1.txt');
  const f2 = join(dir, 'f2.txt');
  await fsWriteFile(f1, 'one-1');
  await fsWriteFile(f2, 'two-1');
  const tx = await transaction({ root: dir, backup: store });
  await tx.writeFile(f1, 'one-2').writeFile(f2, 'two-2').commit();
  const [b] = await store.list();
  const damaged = b!.files.find((f) => f.path === f2)!;
  await fsWriteFile(join(store.dir, b!.id, damaged.stored), 'tw0-1');
  await assert.rejects(store.restore(b!.id), (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, 'EINTEGRITY');
    assert.match(err.message, /f2\.txt: SHA-256 mismatch/);
    return true;
  });
  assert.deepEqual(await snapshot(dir, ['f1.txt', 'f2.txt']), { 'f1.txt': 'one-2', 'f2.txt': 'two-2' });
  const v = await store.verify(b!.id);
  assert.equal(v.ok, false);
  assert.deepEqual(
    v.problems.map((p) => p.path),
    [f2],
  );
  assert.ok(
    !(await readdir(dir)).some((n) => n.includes('atomicfs-stage') || n.includes('atomicfs-tmp')),
    'nothing left behind',
  );
});

test('bad constructor options are EINVAL', () => {
  assert.throws(() => new BackupStore(''), { code: 'EINVAL' });
  assert.throws(() => new BackupStore('/tmp/x', { keep: 0 }), { code: 'EINVAL' });
  assert.throws(() => new BackupStore('/tmp/x', { keep: 1.5 }), { code: 'EINVAL' });
  assert.throws(() => new BackupStore('/tmp/x', { maxAgeMs: -1 }), { code: 'EINVAL' });
});

test('vault workflow (docs/BACKUPS.md): the last N batches are kept and any of them can be undone', async () => {
  const vault = await tmpDir();
  const backups = new BackupStore(join(vault, '.atomicfs-backups'), { keep: 3 });
  const audit = new AuditLog(join(vault, '.atomicfs-audit.log'));
  await fsWriteFile(join(vault, 'todo.md'), 'todo 0');
  await fsWriteFile(join(vault, 'ideas.md'), 'ideas 0');
  for (let batch = 1; batch <= 5; batch++) {
    await withTransaction(
      async (tx) => {
        tx.writeFile(join(vault, 'todo.md'), `todo ${batch}`);
        tx.writeFile(join(vault, 'ideas.md'), `ideas ${batch}`);
      },
      { root: vault, backup: backups, audit },
    );
  }
  const list = await backups.list();
  assert.equal(list.length, 3, 'only the last 3 batches are kept');
  // Undo batch 4 (the second newest): its backup holds the state before it (batch 3).
  await backups.restore(list[1]!.id, { backup: backups, audit });
  assert.deepEqual(await snapshot(vault, ['todo.md', 'ideas.md']), { 'todo.md': 'todo 3', 'ideas.md': 'ideas 3' });
  const s = await audit.summary();
  assert.deepEqual(s.byOperation, { transaction: 5, restore: 1 });
  assert.equal((await audit.verify()).ok, true);
});
