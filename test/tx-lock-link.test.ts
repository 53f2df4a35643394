/**
 * A transaction holds its locks as hard links to one owner file (lock/lock-link.ts). These
 * tests check that this form and the folder form of lock() exclude each other both ways,
 * that a dead holder's link is taken over, that recovery clears a dead transaction's links
 * (and nothing else), and that a path on another file system falls back to the folder form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lock, recover, transaction } from '../src/index.js';
import type { Disk } from '../src/disk/index.js';
import { lockAs } from '../src/lock/lock.js';
import { runAsync } from '../src/disk/dual.js';
import { newRecord } from '../src/lock/lock-record.js';
import { HOST_TAG } from '../src/tx/owner.js';
import { SimDisk } from './sim/sim-disk.js';
import { sizeFromEnv, tmpDir } from './helpers/tmp.js';
import { childScript, run } from './helpers/child.js';
import { locksLeft, owners } from './helpers/tx-files.js';
import { faultDisk } from './helpers/fault-disk.js';

/** The real disk, but the first journal open waits until `open()` is called. */
function gatedDisk(): { disk: Disk; reached: Promise<void>; open: () => void } {
  const disk = faultDisk();
  const gate = disk.gate((c) => c.op === 'open' && c.path.endsWith('.journal') && c.flags === 'wx', Infinity);
  return { disk, reached: gate.reached.then(() => undefined), open: gate.open };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

async function root(): Promise<string> {
  const dir = await tmpDir('atomicfs-txlink-');
  writeFileSync(join(dir, 'a.txt'), 'A0');
  writeFileSync(join(dir, 'b.txt'), 'B0');
  return dir;
}

test('a committing transaction holds links to its owner file; lock() and shared lock() wait for it', async () => {
  const dir = await root();
  const { disk, reached, open } = gatedDisk();
  const tx = await transaction({ root: dir, disk });
  tx.writeFile(join(dir, 'a.txt'), 'A1').writeFile(join(dir, 'b.txt'), 'B1');
  const committing = tx.commit();
  await reached;
  const owner = owners(dir).find((n) => n.endsWith('.owner'));
  assert.ok(owner, 'an owner file while the transaction holds its locks');
  const list = join(dir, '.atomicfs', owner.replace(/\.owner$/, '.locks'));
  assert.equal(lstatSync(list).mode & 0o777, 0o600, 'the list of lock names is private');
  assert.equal(
    readFileSync(join(dir, '.a.txt.atomicfs-lock'), 'utf8').split('\n').filter(Boolean).length,
    1,
    'a lock shows only its record',
  );
  const ownerIno = lstatSync(join(dir, '.atomicfs', owner)).ino;
  for (const name of ['.a.txt.atomicfs-lock', '.b.txt.atomicfs-lock']) {
    const st = lstatSync(join(dir, name));
    assert.ok(st.isFile() && st.ino === ownerIno, `${name} is a link to the owner file`);
  }
  await assert.rejects(lock(join(dir, 'a.txt'), { timeout: 30 }), { code: 'ELOCKED' });
  await assert.rejects(lock(join(dir, 'b.txt'), { timeout: 30, shared: true }), { code: 'ELOCKED' });
  const waiting = lock(join(dir, 'a.txt'), { timeout: 5000 });
  open();
  await committing;
  const release = await waiting;
  assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'A1');
  await release();
  assert.deepEqual(locksLeft(dir), []);
  assert.deepEqual(owners(dir), []);
});

for (const shared of [false, true]) {
  test(`a transaction waits for ${shared ? 'a shared' : 'an exclusive'} lock() holder, then commits`, async () => {
    const dir = await root();
    const release = await lock(join(dir, 'b.txt'), { shared });
    const tx = await transaction({ root: dir });
    tx.writeFile(join(dir, 'a.txt'), 'A1').writeFile(join(dir, 'b.txt'), 'B1');
    let done = false;
    const committing = tx.commit().then(() => {
      done = true;
    });
    await sleep(80);
    assert.equal(done, false, 'still waiting for the lock');
    assert.equal(readFileSync(join(dir, 'b.txt'), 'utf8'), 'B0');
    await release();
    await committing;
    assert.equal(readFileSync(join(dir, 'b.txt'), 'utf8'), 'B1');
    assert.deepEqual(locksLeft(dir), []);
    assert.deepEqual(owners(dir), []);
  });
}

/** A link lock on `target` as a dead process on this host would have left it (owner file and list); returns the list. */
function deadLinkLock(dir: string, target: string, id: string): string {
  mkdirSync(join(dir, '.atomicfs'), { recursive: true });
  const ownerFile = join(dir, '.atomicfs', `${id}.owner`);
  const list = join(dir, '.atomicfs', `${id}.locks`);
  const record = { pid: deadPid(), host: hostname(), token: 'deadbeefdead', since: Date.now() };
  writeFileSync(list, `${join(dir, `.${target}.atomicfs-lock`)}\n`);
  writeFileSync(ownerFile, `${JSON.stringify(record)}\n`);
  linkSync(ownerFile, join(dir, `.${target}.atomicfs-lock`));
  return list;
}

test('a link lock whose holder died is taken over at once, by lock() and by a transaction', async () => {
  const dir = await root();
  deadLinkLock(dir, 'a.txt', 'other');
  const release = await lock(join(dir, 'a.txt'), { timeout: 2000 });
  await release();
  deadLinkLock(dir, 'b.txt', 'other2');
  const tx = await transaction({ root: dir, timeout: 2000 });
  tx.writeFile(join(dir, 'b.txt'), 'B1');
  await tx.commit();
  assert.equal(readFileSync(join(dir, 'b.txt'), 'utf8'), 'B1');
  assert.deepEqual(locksLeft(dir), []);
});

test("recover clears a dead transaction's links and owner file, and nothing else", async () => {
  const dir = await root();
  const outside = await tmpDir('atomicfs-txlink-out-');
  const stray = join(outside, '.z.atomicfs-lock');
  writeFileSync(stray, '{}');
  const id = `${HOST_TAG}-${deadPid()}-00000000-000000000000`;
  const list = deadLinkLock(dir, 'a.txt', id);
  // Another holder's lock on b.txt (not a link to this owner), and a path outside the root.
  writeFileSync(
    join(dir, '.b.txt.atomicfs-lock'),
    JSON.stringify({ pid: process.pid, host: hostname(), token: 'aliveholder1', since: Date.now() }),
  );
  writeFileSync(list, `${readFileSync(list, 'utf8')}${join(dir, '.b.txt.atomicfs-lock')}\n${stray}\n`);
  assert.deepEqual(await recover(dir), { rolledBack: 0, rolledForward: 0, tempsRemoved: 0 });
  assert.deepEqual(owners(dir), []);
  assert.deepEqual(readdirSync(join(dir, '.atomicfs')), [], 'owner file and list removed');
  assert.deepEqual(locksLeft(dir), ['.b.txt.atomicfs-lock']);
  assert.deepEqual(readdirSync(outside), ['.z.atomicfs-lock']);
});

test('a path on another file system is locked with a folder instead, and the commit works', async () => {
  const sim = new SimDisk();
  sim.seedFile('/r/a.txt', 'A0');
  sim.mount('/r/mnt');
  sim.seedFile('/r/mnt/b.txt', 'B0');
  const tx = await transaction({ root: '/r', disk: sim });
  tx.writeFile('/r/a.txt', 'A1').writeFile('/r/mnt/b.txt', 'B1');
  await tx.commit();
  assert.equal(sim.contentOf('/r/a.txt'), 'A1');
  assert.equal(sim.contentOf('/r/mnt/b.txt'), 'B1');
  const folders = sim.log.filter((c) => c.op === 'mkdir' && c.path.endsWith('.atomicfs-lock')).map((c) => c.path);
  assert.deepEqual(folders, ['/r/mnt/.b.txt.atomicfs-lock'], 'a link for a.txt, a folder only across the mount');
  assert.deepEqual(
    [...sim.tree('/r').keys()].filter((p) => p.includes('atomicfs-lock') || p.startsWith('/r/.atomicfs/')),
    [],
  );
});

test(
  'across processes: under lock() of one file, a transaction over it and another is never half seen',
  { timeout: 120_000 },
  async () => {
    const dir = await root();
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.txt');
    writeFileSync(a, '0');
    writeFileSync(b, '0');
    const rounds = sizeFromEnv('ATOMICFS_TX_LOCK_ROUNDS', 15) * 4;
    // The child holds the folder form of a.txt's lock, reads a.txt, waits, and reads both
    // files. Every transaction holds a.txt's lock (as a link) while it changes both, so
    // under the child's lock a.txt cannot change and both files hold the same generation.
    const script = await childScript(
      dir,
      'reader.mjs',
      `
    import { readFileSync } from 'node:fs';
    import { setTimeout as sleep } from 'node:timers/promises';
    const [a, b, rounds] = [process.argv[2], process.argv[3], Number(process.argv[4])];
    let torn = 0;
    for (let i = 0; i < rounds; i++) {
      const release = await atomicfs.lock(a, { timeout: 30000 });
      try {
        const first = readFileSync(a, 'utf8');
        await sleep(10);
        if (readFileSync(a, 'utf8') !== first || readFileSync(b, 'utf8') !== first) torn++;
      } finally {
        await release();
      }
      // Free for a moment between rounds: the transactions poll for the lock (at most every
      // 100 ms or so), and a reader that took it back at once could starve them all.
      await sleep(20);
    }
    console.log(JSON.stringify({ torn }));
  `,
    );
    const reader = run(script, [a, b, String(rounds)]);
    let generation = 0;
    let readerDone = false;
    void reader.done.then(() => (readerDone = true));
    while (!readerDone) {
      generation++;
      const tx = await transaction({ root: dir, timeout: 30_000 });
      tx.writeFile(a, String(generation)).writeFile(b, String(generation));
      await tx.commit();
    }
    const result = await reader.done;
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout) as unknown, { torn: 0 });
    assert.ok(generation > 1, 'transactions ran while the reader locked');
    assert.deepEqual(locksLeft(dir), []);
    assert.deepEqual(owners(dir), []);
  },
);

test('an owner file that has not been touched for a while is refreshed before it is linked as a lock', async () => {
  const dir = await root();
  const file = join(dir, 'owner');
  const record = newRecord();
  writeFileSync(file, `${JSON.stringify(record)}\n`);
  const hourAgo = (Date.now() - 3_600_000) / 1000;
  utimesSync(file, hourAgo, hourAgo);
  // As after a long wait for another lock: from another host, this link would look dead.
  const owner = { file, record, touchedAt: Date.now() - 3_600_000 };
  const release = await runAsync(lockAs(join(dir, 'a.txt'), { staleMs: 30_000 }, owner));
  try {
    assert.ok(
      Date.now() - lstatSync(join(dir, '.a.txt.atomicfs-lock')).mtimeMs < 10_000,
      'the lock shows a fresh mtime',
    );
    assert.ok(Date.now() - owner.touchedAt < 10_000);
  } finally {
    await release();
  }
});
