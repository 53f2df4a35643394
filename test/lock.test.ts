import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { lock, LockError } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';
import { faultDisk, nodeDisk } from './helpers/file-disks.js';
import { childScript, run, waitFor } from './helpers/child.js';

test('exclusive lock: a second taker waits until release', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'file');
  const release = await lock(p);
  const order: string[] = [];
  const second = lock(p).then((r) => {
    order.push('second');
    return r;
  });
  await new Promise((r) => setTimeout(r, 50));
  order.push('release');
  await release();
  await (
    await second
  )();
  assert.deepEqual(order, ['release', 'second']);
  assert.deepEqual(readdirSync(dir), [], 'the lock folder is removed once free');
});

test("a taker that read a record before its holder released it does not break the next holder's lock", async () => {
  const dir = await tmpDir();
  const p = join(dir, 'file');
  const isRecord = (path: string): boolean => path.endsWith(`${p.slice(dir.length + 1)}.atomicfs-lock/x`);
  const first = await lock(p);
  // The taker's first read of the record (the first holder's) is held back until that
  // holder has released and another has taken the lock: by then the record it read is
  // one that this process no longer holds, which would count as left over.
  const disk = faultDisk(nodeDisk);
  let readDone!: () => void;
  const read = new Promise<void>((r) => (readDone = r));
  let letRead!: () => void;
  const readLetGo = new Promise<void>((r) => (letRead = r));
  disk.on((c) => c.op === 'file.read' && isRecord(c.path), {
    times: 1,
    after: async (_c, n) => {
      readDone();
      await readLetGo;
      return n;
    },
  });
  // Were the lock broken, the live record would be moved aside here: held there while a
  // third taker tries.
  let movedAside = false;
  let letMove!: () => void;
  const moveLetGo = new Promise<void>((r) => (letMove = r));
  disk.on((c) => c.op === 'rename' && isRecord(c.path), {
    after: async () => {
      movedAside = true;
      await moveLetGo;
    },
  });
  const taker = lock(p, { disk });
  await read;
  await first();
  const second = await lock(p);
  letRead();
  await new Promise((r) => setTimeout(r, 200));
  await assert.rejects(lock(p, { timeout: 300 }), { code: 'ELOCKED' }, 'the second holder still has the lock');
  letMove();
  assert.equal(movedAside, false, "the second holder's record was never moved");
  assert.equal(second.signal.aborted, false);
  await second();
  await (
    await taker
  )();
  assert.deepEqual(readdirSync(dir), []);
});

test('timeout gives LockError ELOCKED naming the path, and leaves no record', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'file');
  const release = await lock(p);
  await assert.rejects(lock(p, { timeout: 30 }), (err: unknown) => {
    assert.ok(err instanceof LockError);
    assert.equal(err.code, 'ELOCKED');
    assert.match(err.message, /file/);
    return true;
  });
  await release();
  assert.deepEqual(readdirSync(dir), []);
});

test('shared locks coexist; exclusive waits for all readers; readers wait for a writer', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'file');
  const r1 = await lock(p, { shared: true });
  const r2 = await lock(p, { shared: true, timeout: 100 });
  await assert.rejects(lock(p, { timeout: 50 }), LockError);
  await r1();
  await assert.rejects(lock(p, { timeout: 50 }), LockError);
  await r2();
  const w = await lock(p, { timeout: 200 });
  await assert.rejects(lock(p, { shared: true, timeout: 50 }), LockError);
  await w();
  await (
    await lock(p, { shared: true, timeout: 100 })
  )();
});

test('release is idempotent and abort stops waiting', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'file');
  const release = await lock(p);
  const ac = new AbortController();
  const waiting = lock(p, { signal: ac.signal });
  setTimeout(() => ac.abort(), 20);
  await assert.rejects(waiting, { code: 'ABORT_ERR' });
  await release();
  await release();
  await (
    await lock(p, { timeout: 0 })
  )();
});

test('bad arguments are refused before touching the disk', async () => {
  await assert.rejects(lock(''), { code: 'EINVAL' });
  await assert.rejects(lock('x', { timeout: -1 }), { code: 'EINVAL' });
});

test('a lock whose holder was SIGKILLed is taken over at once', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'file');
  const script = await childScript(
    dir,
    'holder.mjs',
    `
    await atomicfs.lock(process.argv[2]);
    console.log('LOCKED');
    setInterval(() => {}, 1000);
  `,
  );
  const { child, done } = run(script, [p]);
  await waitFor(child, 'LOCKED');
  await assert.rejects(lock(p, { timeout: 50 }), LockError);
  child.kill('SIGKILL');
  await done;
  const started = Date.now();
  const release = await lock(p, { timeout: 5000 });
  assert.ok(Date.now() - started < 5000);
  await release();
  assert.equal(existsSync(join(dir, '.file.atomicfs-lock')), false);
});

test('a shared holder that was SIGKILLed does not block a writer', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'file');
  const script = await childScript(
    dir,
    'reader.mjs',
    `
    await atomicfs.lock(process.argv[2], { shared: true });
    console.log('LOCKED');
    setInterval(() => {}, 1000);
  `,
  );
  const { child, done } = run(script, [p]);
  await waitFor(child, 'LOCKED');
  child.kill('SIGKILL');
  await done;
  await (
    await lock(p, { timeout: 5000 })
  )();
});

for (const form of ['folder', 'link'] as const) {
  test(`a ${form} record naming this very process with a token it does not hold is stale (a power cut brought it back)`, async () => {
    const dir = await tmpDir();
    const p = join(dir, 'file');
    const record = JSON.stringify({ pid: process.pid, host: hostname(), token: 'notheldtoken', since: Date.now() });
    if (form === 'folder') {
      mkdirSync(join(dir, '.file.atomicfs-lock'));
      writeFileSync(join(dir, '.file.atomicfs-lock', 'x'), record);
    } else {
      writeFileSync(join(dir, '.file.atomicfs-lock'), `${record}\n`);
    }
    // Our pid is alive, but no lock of ours holds that token: taken over at once.
    const release = await lock(p, { timeout: 1000 });
    await release();
    assert.equal(existsSync(join(dir, '.file.atomicfs-lock')), false);
    // A record of ours that we do hold is not stale: a second taker still waits.
    const held = await lock(p);
    await assert.rejects(lock(p, { timeout: 50 }), LockError);
    await held();
  });
}
