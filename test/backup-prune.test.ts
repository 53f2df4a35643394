/** BackupStore.prune(): by count and age, never the newest, never a backup being written. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupStore, lock, writeFile } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';
import { gatedDisk } from './helpers/backup-disk.js';

async function makeBackups(store: BackupStore, file: string, n: number): Promise<void> {
  await writeFile(file, 'v0');
  for (let i = 1; i <= n; i++) await writeFile(file, `v${i}`, { backup: store });
}

test('prune() by count keeps the newest `keep` backups', async () => {
  const dir = await tmpDir();
  const loose = new BackupStore(join(dir, 'b'));
  await makeBackups(loose, join(dir, 'f'), 5);
  const before = (await loose.list()).map((b) => b.id);
  const r = await new BackupStore(join(dir, 'b'), { keep: 2 }).prune();
  assert.deepEqual(r.removed.sort(), before.slice(2).sort());
  assert.deepEqual(
    (await loose.list()).map((b) => b.id),
    before.slice(0, 2),
  );
  assert.deepEqual(
    (await readdir(loose.dir)).filter((n) => !n.startsWith('.')).sort(),
    before.slice(0, 2).sort(),
    'folders gone',
  );
});

test('prune() by age never removes the newest backup', async () => {
  const dir = await tmpDir();
  const store = new BackupStore(join(dir, 'b'), { maxAgeMs: 0 });
  const plain = new BackupStore(join(dir, 'b'));
  await makeBackups(plain, join(dir, 'f'), 3);
  await new Promise((r) => setTimeout(r, 5));
  const newest = (await plain.list())[0]!.id;
  await store.prune();
  assert.deepEqual(
    (await plain.list()).map((b) => b.id),
    [newest],
  );
  await store.prune();
  assert.deepEqual(
    (await plain.list()).map((b) => b.id),
    [newest],
  );
  // A generous age removes nothing.
  await makeBackups(plain, join(dir, 'g'), 2);
  assert.deepEqual((await new BackupStore(join(dir, 'b'), { maxAgeMs: 3_600_000 }).prune()).removed, []);
});

test('with keep set, each new backup prunes the old ones (the last N batches are kept)', async () => {
  const dir = await tmpDir();
  const store = new BackupStore(join(dir, 'b'), { keep: 3 });
  const f = join(dir, 'f');
  await makeBackups(store, f, 6);
  const list = await store.list();
  assert.equal(list.length, 3);
  const kept = await Promise.all(list.map((b) => readFile(join(store.dir, b.id, b.files[0]!.stored), 'utf8')));
  assert.deepEqual(kept, ['v5', 'v4', 'v3']);
});

test('prune never removes a backup still being written, even with no grace period', async () => {
  const dir = await tmpDir();
  const f = join(dir, 'f');
  await writeFile(f, 'old');
  const gate = gatedDisk('/files/');
  const writer = new BackupStore(join(dir, 'b'), { disk: gate.disk });
  const pruner = new BackupStore(join(dir, 'b'), { keep: 1, maxAgeMs: 0, graceMs: 0 });
  const writing = writeFile(f, 'new', { backup: writer });
  await gate.reached; // the backup folder exists, files half kept, no manifest yet
  const [unfinished] = (await readdir(writer.dir)).filter((n) => !n.startsWith('.'));
  assert.ok(unfinished);
  assert.deepEqual((await pruner.prune()).removed, []);
  assert.deepEqual(
    (await readdir(writer.dir)).filter((n) => !n.startsWith('.')),
    [unfinished],
  );
  assert.deepEqual(await writer.list(), [], 'not listed while unfinished');
  gate.open();
  await writing;
  const [b] = await writer.list();
  assert.equal(b?.id, unfinished);
  assert.equal(await readFile(join(writer.dir, b.id, b.files[0]!.stored), 'utf8'), 'old');
});

test('an abandoned unfinished backup is removed once its lock is free, whatever its age', async () => {
  const dir = await tmpDir();
  const store = new BackupStore(join(dir, 'b'), { graceMs: 60_000 });
  const old = '20200101T000000000Z-0badf00d';
  const young = new Date().toISOString().replace(/[-:]/g, '').replace('.', '') + '-00c0ffee';
  for (const id of [old, young]) await mkdir(join(store.dir, id, 'files'), { recursive: true });
  // The old one's writer still holds its lock: kept, however old. The young one has no
  // writer (a writer holds the lock from before it makes the folder): removed at once.
  const release = await lock(join(store.dir, old));
  assert.deepEqual((await store.prune()).removed, [young]);
  await release();
  assert.deepEqual((await store.prune()).removed, [old]);
  assert.deepEqual(
    (await readdir(store.dir)).filter((n) => !n.startsWith('.')),
    [],
  );
});

test('a backup with a corrupt manifest is left for a person to look at', async () => {
  const dir = await tmpDir();
  const plain = new BackupStore(join(dir, 'b'));
  await makeBackups(plain, join(dir, 'f'), 3);
  const [, middle] = await plain.list();
  await writeFile(join(plain.dir, middle!.id, 'manifest.json'), '{ broken');
  await new BackupStore(join(dir, 'b'), { keep: 1 }).prune();
  const left = (await readdir(plain.dir)).filter((n) => !n.startsWith('.')).sort();
  assert.equal(left.length, 2);
  assert.ok(left.includes(middle!.id));
});
