/**
 * A named, audited batch (edits and new notes in new folders) SIGKILLed before and after
 * its commit point, then `recover(root, { audit })`: one audit entry for the batch, with
 * its name and the files' real hashes before it and after recovery; the files all old
 * (and the folders it made gone) or all new; and the unfinished backup of the batch
 * killed while its backup was made is pruned at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog, BackupStore, recover, transaction } from '../src/index.js';
import { sha256Hex } from '../src/base/sha256.js';
import { childScript, run, waitFor } from './helpers/child.js';
import { tmpDir } from './helpers/tmp.js';
import { journals, leftovers, locksLeft } from './helpers/tx-files.js';

// The one fault-injecting wrapper, as built beside this test.
const FAULT_DISK = new URL('./helpers/fault-disk.js', import.meta.url).href;
const OLD = ['note 0\n', 'note 1\n'];
const NEW = ['new 0\n', 'new 1\n', 'fresh\n'];

/** The child runs the batch on a disk that stops for ever at `stopAt`, and is killed there. */
async function killedBatch(
  stopAt: 'backup' | 'apply' | 'finish',
  audited = true,
): Promise<{ root: string; store: BackupStore; audit: AuditLog; id: string }> {
  const root = await tmpDir('atomicfs-killaudit-');
  mkdirSync(join(root, 'notes'));
  OLD.forEach((t, i) => writeFileSync(join(root, `notes/n${i}.md`), t));
  const store = new BackupStore(join(root, '.backups'));
  const audit = new AuditLog(join(root, 'audit.log'));
  const script = await childScript(
    root,
    'batch.mjs',
    `
    const { faultDisk } = await import(${JSON.stringify(FAULT_DISK)});
    const [root, stopAt, audited] = process.argv.slice(2);
    const stop = async (what) => { console.log('stopped ' + what); await new Promise(() => {}); };
    const disk = faultDisk();
    disk.on((c) => stopAt === 'backup' && c.op === 'link' && c.to.includes('/files/'), { before: () => stop('backup') });
    disk.on((c) => stopAt === 'apply' && c.op === 'rename' && c.path.endsWith('.atomicfs-stage'), { before: () => stop('apply') });
    disk.on((c) => stopAt === 'finish' && c.op === 'unlink' && c.path.endsWith('.dirs'), { before: () => stop('finish') });
    setInterval(() => {}, 1000);
    const backup = new atomicfs.BackupStore(root + '/.backups', { disk });
    const audit = audited === 'yes' ? new atomicfs.AuditLog(root + '/audit.log') : undefined;
    const tx = await atomicfs.transaction({ root, backup, audit, disk, name: 'nightly sync' });
    console.log('id ' + tx.id);
    tx.writeFile(root + '/notes/n0.md', ${JSON.stringify(NEW[0])}).writeFile(root + '/notes/n1.md', ${JSON.stringify(NEW[1])});
    tx.createFile(root + '/inbox/2026/fresh.md', ${JSON.stringify(NEW[2])});
    await tx.commit();
  `,
  );
  const { child, done } = run(script, [root, stopAt, audited ? 'yes' : 'no']);
  let id = '';
  child.stdout?.on('data', (d: Buffer) => (id ||= /id (\S+)/.exec(d.toString())?.[1] ?? ''));
  await waitFor(child, `stopped ${stopAt}`);
  child.kill('SIGKILL');
  assert.equal((await done).signal, 'SIGKILL');
  assert.ok(id);
  return { root, store, audit, id };
}

function files(root: string): (string | null)[] {
  return ['notes/n0.md', 'notes/n1.md', 'inbox/2026/fresh.md'].map((p) =>
    existsSync(join(root, p)) ? readFileSync(join(root, p), 'utf8') : null,
  );
}

function nothingLeft(root: string): void {
  assert.deepEqual(leftovers(root), []);
  assert.deepEqual(journals(root), []);
  assert.deepEqual(
    locksLeft(root).filter((n) => !n.startsWith('.backups')),
    [],
  );
  assert.deepEqual(
    readdirSync(join(root, '.atomicfs')).filter((n) => n.endsWith('.dirs')),
    [],
    'no folder journal left',
  );
}

test('a batch killed while its backup was made: recover rolls it back and says so in the audit log; prune drops the backup at once', async () => {
  const { root, store, audit, id } = await killedBatch('backup');
  assert.ok(existsSync(join(root, 'inbox/2026')), 'the batch had made its folders');
  const report = await recover(root, { audit });
  assert.equal(report.rolledBack, 1);
  assert.deepEqual(files(root), [...OLD, null]);
  assert.ok(!existsSync(join(root, 'inbox')), 'the folders it made are gone');
  nothingLeft(root);
  const entries = await audit.entries();
  assert.equal(entries.length, 1, 'one entry: the recovery of the batch');
  const e = entries[0]!;
  assert.deepEqual([e.operation, e.outcome, e.name, e.transactionId], ['recover', 'rolled-back', 'nightly sync', id]);
  assert.deepEqual(
    e.files.map((f) => [f.path, f.before, f.after]),
    [
      [join(root, 'notes/n0.md'), sha256Hex(OLD[0]!), sha256Hex(OLD[0]!)],
      [join(root, 'notes/n1.md'), sha256Hex(OLD[1]!), sha256Hex(OLD[1]!)],
      [join(root, 'inbox/2026/fresh.md'), null, null],
    ],
  );
  // The unfinished backup and its lock: gone at the first prune, no grace period waited.
  assert.equal((await store.prune()).removed.length, 1);
  assert.deepEqual(readdirSync(store.dir), []);
  assert.equal((await audit.verify()).ok, true);
});

test('a batch killed after its commit point: recover rolls it forward and records before and after', async () => {
  const { root, store, audit, id } = await killedBatch('apply');
  const report = await recover(root, { audit });
  assert.equal(report.rolledForward, 1);
  assert.deepEqual(files(root), NEW);
  nothingLeft(root);
  const [e] = await audit.entries();
  assert.deepEqual([e?.operation, e?.outcome, e?.name, e?.transactionId], ['recover', 'ok', 'nightly sync', id]);
  assert.deepEqual(
    e?.files.map((f) => [f.path, f.before, f.after, f.size]),
    [
      [join(root, 'notes/n0.md'), sha256Hex(OLD[0]!), sha256Hex(NEW[0]!), NEW[0]!.length],
      [join(root, 'notes/n1.md'), sha256Hex(OLD[1]!), sha256Hex(NEW[1]!), NEW[1]!.length],
      [join(root, 'inbox/2026/fresh.md'), null, sha256Hex(NEW[2]!), NEW[2]!.length],
    ],
  );
  // Its backup was complete before the commit point: it undoes the batch.
  const [b] = await store.list();
  assert.equal(b?.name, 'nightly sync');
  await store.restore(b.id);
  assert.deepEqual(files(root), [...OLD, null]);
  assert.ok(!existsSync(join(root, 'inbox')));
});

test('a batch that kept no hashes: recovery finds the old ones in its backup links', async () => {
  const { root, audit } = await killedBatch('apply', false);
  await recover(root, { audit });
  const [e] = await audit.entries();
  assert.deepEqual(
    e?.files.map((f) => [f.before, f.after]),
    [
      [sha256Hex(OLD[0]!), sha256Hex(NEW[0]!)],
      [sha256Hex(OLD[1]!), sha256Hex(NEW[1]!)],
      [null, sha256Hex(NEW[2]!)],
    ],
  );
});

test('killed with every file replaced and its backup links gone: the hashes before come from the journal', async () => {
  const { root, audit } = await killedBatch('finish');
  assert.deepEqual(files(root), NEW, 'applied, only the journal is left');
  const report = await recover(root, { audit });
  assert.equal(report.rolledForward, 1);
  nothingLeft(root);
  const [e] = await audit.entries();
  assert.deepEqual(
    e?.files.map((f) => [f.before, f.after]),
    [
      [sha256Hex(OLD[0]!), sha256Hex(NEW[0]!)],
      [sha256Hex(OLD[1]!), sha256Hex(NEW[1]!)],
      [null, sha256Hex(NEW[2]!)],
    ],
  );
});

test('transaction() records the recovery it runs first in its own audit log', async () => {
  const { root, audit } = await killedBatch('apply');
  const tx = await transaction({ root, audit });
  await tx.rollback();
  const ops = (await audit.entries()).map((e) => `${e.operation}:${e.outcome}`);
  assert.deepEqual(ops, ['recover:ok', 'transaction:rolled-back']);
});

test('a named guard killed while its code ran: recover restores the file and records it', async () => {
  const root = await tmpDir('atomicfs-killaudit-');
  const path = join(root, 'db.txt');
  writeFileSync(path, 'original\n');
  const audit = new AuditLog(join(root, 'audit.log'));
  const script = await childScript(
    root,
    'guard.mjs',
    `
    import { writeFileSync } from 'node:fs';
    const [root, path] = process.argv.slice(2);
    setInterval(() => {}, 1000);
    await atomicfs.guard([path], async () => {
      writeFileSync(path, 'half-edited');
      console.log('editing');
      await new Promise(() => {});
    }, { root, name: 'in-place migration' });
  `,
  );
  const { child, done } = run(script, [root, path]);
  await waitFor(child, 'editing');
  child.kill('SIGKILL');
  await done;
  const report = await recover(root, { audit });
  assert.equal(report.rolledBack, 1);
  assert.equal(readFileSync(path, 'utf8'), 'original\n');
  const [e] = await audit.entries({ name: 'migration' });
  assert.deepEqual([e?.operation, e?.outcome], ['recover', 'rolled-back']);
  assert.deepEqual(e?.files, [{ path, before: sha256Hex('original\n'), after: sha256Hex('original\n'), size: 9 }]);
});
