/**
 * Protections that a broken-on-purpose run of the whole suite once let through (issue 18):
 * each test here fails when its protection is taken out, and says which one it guards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BackupStore, lock, transaction, writeFile, TransactionError, type Disk } from '../src/index.js';
import { parseTempName } from '../src/file/temp-name.js';
import { SimDisk } from './sim/sim-disk.js';
import { tmpDir } from './helpers/tmp.js';
import { journals, leftovers, snapshot } from './helpers/tx-files.js';
import { faultDisk } from './helpers/fault-disk.js';

async function rootWith(files: Record<string, string>): Promise<string> {
  const root = await tmpDir('atomicfs-surv-');
  for (const [n, c] of Object.entries(files)) writeFileSync(join(root, n), c);
  return root;
}

function causes(err: unknown): { code?: string; message?: string }[] {
  const out: { code?: string; message?: string }[] = [];
  for (let e = err as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) out.push(e);
  return out;
}

test('guards the abort check just before the commit point: an abort from inside the backup hook rolls back', async () => {
  const root = await rootWith({ 'a.txt': 'A0', 'b.txt': 'B0' });
  const controller = new AbortController();
  let asked = 0;
  const backup = {
    preserve: async (): Promise<string | undefined> => {
      asked++;
      // Staging is over: only the check just before the commit record can see this.
      controller.abort(new Error('stopped by the user'));
      return undefined;
    },
  };
  const tx = await transaction({ root, signal: controller.signal, backup });
  tx.writeFile(join(root, 'a.txt'), 'A1').deleteFile(join(root, 'b.txt'));
  await assert.rejects(tx.commit(), (err: unknown) => err instanceof TransactionError && err.rolledBack);
  assert.equal(asked, 1, 'the hook ran, after staging');
  assert.deepEqual(snapshot(root), { 'a.txt': 'A0', 'b.txt': 'B0' });
  assert.deepEqual(leftovers(root), []);
  assert.deepEqual(journals(root), []);
});

test('guards the journal mode: the journal is not readable by other users while a transaction runs', async () => {
  const root = await rootWith({ 'a.txt': 'A0' });
  const modes: number[] = [];
  const backup = {
    // Runs after the intent is written and before the commit point: the journal is there.
    preserve: async (): Promise<string | undefined> => {
      for (const n of journals(root)) modes.push(statSync(join(root, '.atomicfs', n)).mode & 0o777);
      return undefined;
    },
  };
  const tx = await transaction({ root, backup });
  tx.writeFile(join(root, 'a.txt'), 'A1');
  await tx.commit();
  assert.equal(modes.length, 1, 'one journal seen');
  assert.equal(modes[0]! & 0o077, 0, `journal mode ${modes[0]!.toString(8)}: it names every file of the transaction`);
});

test("guards restore's re-hash: a kept copy that changes between the check and the read is not restored", async () => {
  const dir = await tmpDir('atomicfs-surv-');
  const target = join(dir, 'a.txt');
  await writeFile(target, 'version 1');
  const store = new BackupStore(join(dir, 'backups'));
  await writeFile(target, 'version 2', { backup: store });
  const [b] = await store.list();
  assert.ok(b);
  const kept = join(store.dir, b.id, b.files[0]!.stored);
  let opens = 0;
  // The first open of the kept copy is restore's check; before the second (the read that
  // streams it into the transaction) the copy is damaged.
  const disk = faultDisk();
  disk.on('open', {
    before: (c) => {
      if (c.path === kept && c.flags === 'r' && ++opens === 2) writeFileSync(kept, 'version X');
    },
  });
  await assert.rejects(new BackupStore(join(dir, 'backups'), { disk }).restore(b.id), (err: unknown) =>
    causes(err).some((e) => e.code === 'EINTEGRITY'),
  );
  assert.equal(opens, 2, 'checked, then read');
  assert.equal(readFileSync(target, 'utf8'), 'version 2', 'nothing restored');
  assert.deepEqual(leftovers(dir), []);
});

/** The real disk, but `squat` runs just before the first exclusive open of a temporary file. */
function squattingDisk(squat: (tempPath: string) => void): { disk: Disk; squatted: string[] } {
  const squatted: string[] = [];
  const disk = faultDisk();
  disk.on('open', {
    before: (c) => {
      if (squatted.length === 0 && parseTempName(basename(c.path))) {
        squat(c.path);
        squatted.push(c.path);
      }
    },
  });
  return { disk, squatted };
}

test('guards O_EXCL on temporary files: a symbolic link planted at the temp name is never followed', async () => {
  const dir = await tmpDir('atomicfs-surv-');
  const outside = await tmpDir('atomicfs-surv-outside-');
  const victim = join(outside, 'victim');
  writeFileSync(victim, 'precious');
  writeFileSync(join(dir, 'a.txt'), 'A0');
  const { disk, squatted } = squattingDisk((p) => symlinkSync(victim, p));
  await assert.rejects(
    writeFile(join(dir, 'a.txt'), 'A1', { disk }),
    (err: unknown) =>
      (err as { code?: string }).code === 'EEXIST' && (err as Error).message.includes(join(dir, 'a.txt')),
  );
  assert.equal(squatted.length, 1);
  assert.equal(readFileSync(victim, 'utf8'), 'precious', 'the link was not followed');
  assert.equal(readlinkSync(squatted[0]!), victim, 'the planted link is left as it was');
  assert.ok(lstatSync(join(dir, 'a.txt')).isFile());
  assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'A0');
});

test('guards O_EXCL on temporary files: a file planted at the temp name is never overwritten', async () => {
  const dir = await tmpDir('atomicfs-surv-');
  writeFileSync(join(dir, 'a.txt'), 'A0');
  const { disk, squatted } = squattingDisk((p) => writeFileSync(p, 'not yours'));
  await assert.rejects(writeFile(join(dir, 'a.txt'), 'A1', { disk }), { code: 'EEXIST' });
  assert.equal(readFileSync(squatted[0]!, 'utf8'), 'not yours');
  assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'A0');
});

for (const kind of ['moveFile', 'copyFile'] as const) {
  test(`guards the lock on a transaction's ${kind} source: a commit waits for the source's lock`, async () => {
    const root = await rootWith({ 'src.txt': 'S0', 'dst.txt': 'D0' });
    const release = await lock(join(root, 'src.txt'));
    try {
      const tx = await transaction({ root, timeout: 50 });
      tx[kind](join(root, 'src.txt'), join(root, 'dst.txt'));
      await assert.rejects(
        tx.commit(),
        (err: unknown) =>
          err instanceof TransactionError && err.rolledBack && causes(err).some((e) => e.code === 'ELOCKED'),
      );
      assert.deepEqual(
        snapshot(root),
        { 'src.txt': 'S0', 'dst.txt': 'D0' },
        'nothing changed while the source was locked',
      );
    } finally {
      await release();
    }
    const tx = await transaction({ root, timeout: 5000 });
    tx[kind](join(root, 'src.txt'), join(root, 'dst.txt'));
    await tx.commit();
    assert.equal(readFileSync(join(root, 'dst.txt'), 'utf8'), 'S0');
  });
}

test('guards group commit: a writer whose rename lands while a directory sync runs does not resolve on that sync', async () => {
  const sim = new SimDisk();
  sim.seedFile('/d/a', 'A0');
  sim.seedFile('/d/b', 'B0');
  let holding: (() => void) | undefined;
  let syncStarted!: () => void;
  const started = new Promise<void>((r) => (syncStarted = r));
  let bRenamed!: () => void;
  const renamed = new Promise<void>((r) => (bRenamed = r));
  // The first directory sync covers what has landed when it starts (as fsync does), then
  // stays in flight until the second writer's rename has landed.
  // (A folder opened ahead is synced through its handle: that too is a `syncDir` call.)
  const disk = faultDisk(sim);
  disk.on('syncDir', {
    after: async () => {
      if (holding === undefined) {
        const gate = new Promise<void>((r) => (holding = r));
        syncStarted();
        await gate;
      }
    },
  });
  disk.on('rename', { after: (c) => void (c.to === '/d/b' && bRenamed()) });
  const a = writeFile('/d/a', 'A1', { disk });
  await started;
  const b = writeFile('/d/b', 'B1', { disk });
  await renamed;
  // Let the second writer go as far as it can (its calls land at once; nothing else waits
  // on a timer), up to the directory sync it needs, while the first sync still runs.
  await new Promise((r) => setImmediate(r));
  holding!();
  await Promise.all([a, b]);
  // Both resolved: a power cut now, whatever was not synced, keeps both.
  for (const mode of [{ kind: 'lost' as const }, { kind: 'subset' as const, seed: 1 }]) {
    const after = SimDisk.fromImage(sim.crashImage(mode));
    assert.equal(after.contentOf('/d/a'), 'A1');
    assert.equal(after.contentOf('/d/b'), 'B1', 'the second writer resolved, so its rename is durable');
  }
});

test('guards the journal folder: it is private to the owner', async () => {
  const root = await rootWith({ 'a.txt': 'A0' });
  const tx = await transaction({ root });
  tx.writeFile(join(root, 'a.txt'), 'A1');
  await tx.commit();
  assert.equal(statSync(join(root, '.atomicfs')).mode & 0o077, 0);
  assert.ok(readdirSync(root).includes('.atomicfs'));
});
