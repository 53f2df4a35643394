/**
 * Windows's rules, played by the simulated disk on any host: the layers ask the disk's
 * capabilities, so a write never fails after replacing its target for want of a folder
 * sync, sharing violations are waited out within a bound, names differing only in case
 * are one file, and files have no owners to keep. (test/windows runs the same promises
 * on Windows itself, under Wine.)
 */
import { test } from 'node:test';
import { hostname } from 'node:os';
import assert from 'node:assert/strict';
import {
  AuditLog,
  createFile,
  deleteFile,
  lock,
  LockError,
  moveFile,
  readFile,
  transaction,
  writeFile,
} from '../src/index.js';
import { nodeDisk, POSIX_CAPABILITIES } from '../src/disk/index.js';
import { SimDisk } from './sim/sim-disk.js';
import { faultDisk } from './helpers/fault-disk.js';

function windowsDisk(): SimDisk {
  const sim = new SimDisk(undefined, { platform: 'windows' });
  sim.seedFile('/d/t.txt', 'old');
  return sim;
}

const leftovers = (sim: SimDisk): string[] =>
  [...sim.tree('/d').keys()].filter((p) => p.includes('.atomicfs-tmp') || p.includes('.atomicfs-stage'));

test('the real disk on this host reports its own family', () => {
  assert.equal(nodeDisk.capabilities.family, process.platform === 'win32' ? 'windows' : 'posix');
  assert.equal(nodeDisk.capabilities.dirSync, process.platform !== 'win32');
  assert.equal(nodeDisk.capabilities.ownership, process.platform !== 'win32');
});

test('Windows rules: a default write replaces the target and resolves, with no folder sync tried', async () => {
  const sim = windowsDisk();
  const r = await writeFile('/d/t.txt', 'new', { disk: sim });
  assert.equal(r.path, '/d/t.txt');
  assert.equal(sim.contentOf('/d/t.txt'), 'new');
  assert.deepEqual(
    sim.log.filter((c) => c.op === 'syncDir'),
    [],
  );
  // The file itself is still synced before its rename.
  assert.ok(sim.log.some((c) => c.op === 'fsync'));
  assert.deepEqual(leftovers(sim), []);
});

test('POSIX rules on the same simulated disk still sync the folder', async () => {
  const sim = new SimDisk();
  sim.seedFile('/d/t.txt', 'old');
  await writeFile('/d/t.txt', 'new', { disk: sim });
  assert.equal(sim.log.filter((c) => c.op === 'syncDir').length, 1);
});

test('Windows rules: syncDir itself fails as Windows makes it fail', async () => {
  await assert.rejects(windowsDisk().syncDir('/d'), { code: 'EPERM' });
});

test('Windows rules: a write over a file another program holds open waits until it lets go', async () => {
  const sim = windowsDisk();
  const release = sim.holdOpen('/d/t.txt');
  setTimeout(release, 150);
  await writeFile('/d/t.txt', 'new', { disk: sim });
  assert.equal(sim.contentOf('/d/t.txt'), 'new');
  const renames = sim.log.filter((c) => c.op === 'rename').length;
  assert.ok(renames > 1, `the rename was retried (${renames} attempts)`);
  assert.deepEqual(leftovers(sim), []);
});

for (const code of ['EPERM', 'EACCES', 'EBUSY']) {
  test(`Windows rules: a file held for good fails the write with ${code} after a bounded wait, target and folder as before`, async () => {
    const sim = windowsDisk();
    sim.holdOpen('/d/t.txt', code);
    await assert.rejects(
      writeFile('/d/t.txt', 'new', { disk: sim, retry: { attempts: 4, maxDelayMs: 5 } }),
      (err: NodeJS.ErrnoException) => {
        assert.equal(err.code, code);
        assert.match(err.message, /\/d\/t\.txt/);
        return true;
      },
    );
    assert.equal(sim.log.filter((c) => c.op === 'rename').length, 4, 'retry.attempts bounds the attempts');
    assert.equal(sim.contentOf('/d/t.txt'), 'old');
    assert.deepEqual(leftovers(sim), []);
  });
}

test('Windows rules: retry { attempts: 1 } turns the wait off', async () => {
  const sim = windowsDisk();
  sim.holdOpen('/d/t.txt');
  await assert.rejects(writeFile('/d/t.txt', 'new', { disk: sim, retry: { attempts: 1 } }), { code: 'EPERM' });
  assert.equal(sim.log.filter((c) => c.op === 'rename').length, 1);
});

test('POSIX rules: EPERM on a rename is final, never retried', async () => {
  const probe = new SimDisk();
  probe.seedFile('/d/t.txt', 'old');
  await writeFile('/d/t.txt', 'new', { disk: probe });
  const at = probe.log.findIndex((c) => c.op === 'rename') + 1;
  const sim = new SimDisk();
  sim.seedFile('/d/t.txt', 'old');
  sim.injectFault({ at, code: 'EPERM', persistent: true });
  await assert.rejects(writeFile('/d/t.txt', 'new', { disk: sim }), { code: 'EPERM' });
  assert.equal(sim.log.filter((c) => c.op === 'rename').length, 1);
  assert.equal(sim.contentOf('/d/t.txt'), 'old');
});

test('Windows rules: deleting, moving over, and locking a held file wait for it too', async () => {
  const sim = windowsDisk();
  sim.seedFile('/d/u.txt', 'u');
  sim.seedFile('/d/m.txt', 'm');
  const releases = [sim.holdOpen('/d/u.txt'), sim.holdOpen('/d/t.txt')];
  setTimeout(() => releases.forEach((r) => r()), 100);
  await Promise.all([deleteFile('/d/u.txt', { disk: sim }), moveFile('/d/m.txt', '/d/t.txt', { disk: sim })]);
  assert.equal(sim.contentOf('/d/u.txt'), undefined);
  assert.equal(sim.contentOf('/d/t.txt'), 'm');
});

test('Windows rules: a reader of this process holding the target does not fail a write', async () => {
  const sim = windowsDisk();
  const reading = await sim.open('/d/t.txt', 'r');
  setTimeout(() => void reading.close(), 100);
  await writeFile('/d/t.txt', 'new', { disk: sim });
  assert.equal(sim.contentOf('/d/t.txt'), 'new');
});

test('Windows rules: names that differ only in case are one file', async () => {
  const sim = windowsDisk();
  await writeFile('/D/T.TXT', 'upper', { disk: sim });
  assert.equal(await readFile('/d/t.txt', { disk: sim, encoding: 'utf8' }), 'upper');
  assert.deepEqual([...sim.tree('/d').keys()], ['/d/t.txt'], 'the stored spelling is kept');
  await assert.rejects(createFile('/d/T.txt', 'again', { disk: sim }), { code: 'EEXIST' });
});

test('Windows rules: a lock taken under one spelling is held under every other', async () => {
  const sim = windowsDisk();
  const release = await lock('/d/t.txt', { disk: sim });
  await assert.rejects(lock('/D/T.TXT', { disk: sim, timeout: 0 }), LockError);
  await release();
  await (
    await lock('/D/T.TXT', { disk: sim, timeout: 0 })
  )();
});

test('Windows rules: a lock held as a link by a dead process is taken over (Windows says ENOENT, not ENOTDIR, inside it)', async () => {
  const sim = windowsDisk();
  // A transaction's lock: a hard link to its owner file, whose process is gone.
  const dead = { pid: 2 ** 22 + 12_345, host: hostname(), token: 'deadbeefdeadbeef', since: Date.now() };
  sim.seedFile('/d/.atomicfs/dead.owner', JSON.stringify(dead));
  await sim.link('/d/.atomicfs/dead.owner', '/d/.t.txt.atomicfs-lock');
  const release = await lock('/d/t.txt', { disk: sim, timeout: 2000 });
  await release();
});

test('Windows rules: a transaction refuses one file named in two spellings, and takes one lock for it', async () => {
  const sim = windowsDisk();
  const tx = await transaction({ root: '/d', disk: sim });
  tx.writeFile('/d/a.txt', 'a');
  assert.throws(() => tx.writeFile('/d/A.TXT', 'A'), /already changed by this transaction/);
  await tx.rollback();
  const ok = await transaction({ root: '/d', disk: sim });
  ok.writeFile('/d/T.TXT', 'new').writeFile('/d/b.txt', 'b');
  await ok.commit();
  assert.equal(sim.contentOf('/d/t.txt'), 'new');
  assert.equal(sim.contentOf('/d/b.txt'), 'b');
  assert.deepEqual(leftovers(sim), []);
});

test('Windows rules: the state folder is refused in any letter case', async () => {
  const sim = windowsDisk();
  sim.seedDir('/d/.atomicfs');
  const tx = await transaction({ root: '/d', disk: sim });
  tx.writeFile('/d/.ATOMICFS/x', 'x');
  await assert.rejects(tx.commit(), /atomicfs's own state/);
});

test('Windows rules: the audit trail finds a file, or the files under a folder, in any spelling', async () => {
  const sim = windowsDisk();
  sim.seedDir('/d/sub');
  const audit = new AuditLog('/d/audit.log', { disk: sim });
  await writeFile('/d/sub/f.txt', 'x', { disk: sim, audit });
  assert.equal((await audit.entries({ path: '/D/SUB/F.TXT' })).length, 1);
  assert.equal((await audit.entries({ path: '/d/Sub' })).length, 1);
  assert.equal((await audit.entries({ path: '/d/su' })).length, 0, 'a name prefix is not a folder');
});

test("Windows rules: files have no owners: the replaced file's is not kept, an explicit chown is refused", async () => {
  const sim = windowsDisk();
  await writeFile('/d/t.txt', 'new', { disk: sim });
  assert.deepEqual(
    sim.log.filter((c) => c.op === 'fchown' || c.op === 'chown'),
    [],
  );
  await assert.rejects(
    writeFile('/d/t.txt', 'x', { disk: sim, chown: { uid: 1, gid: 1 } }),
    (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ENOTSUP');
      assert.match(err.message, /\/d\/t\.txt: chown is not supported/);
      return true;
    },
  );
  assert.equal(sim.contentOf('/d/t.txt'), 'new');
  assert.deepEqual(leftovers(sim), []);
});

test('a disk without hard links: createFile is refused with ENOTSUP, never a racy fallback', async () => {
  const sim = new SimDisk();
  sim.seedDir('/d');
  // Every call forwarded, the capabilities saying no links (as a FAT volume's would).
  const disk = faultDisk(sim, { capabilities: { ...POSIX_CAPABILITIES, hardLinks: false } });
  await assert.rejects(createFile('/d/new.txt', 'x', { disk }), { code: 'ENOTSUP' });
  assert.equal(sim.contentOf('/d/new.txt'), undefined);
  assert.deepEqual(leftovers(sim), []);
  assert.deepEqual(
    sim.log.filter((c) => c.op === 'link'),
    [],
  );
});
