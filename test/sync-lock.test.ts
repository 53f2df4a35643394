/**
 * Issue 14: lockSync, the lock protocol driven synchronously. It waits for another
 * process's lock without spinning the processor, takes over a dead holder's lock, and
 * fails at once (ELOCKED) on a lock this very process holds, which it could never get.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { lock, lockSync, LockError, type AtomicError, type Coordinator } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';
import { childScript, run, waitFor } from './helpers/child.js';
import { faultDisk } from './helpers/fault-disk.js';

const lockDir = (dir: string): string => join(dir, '.file.atomicfs-lock');

/** A child that takes the lock on argv[2], prints LOCKED, and holds it (for argv[3] ms, else until killed). */
async function holderScript(dir: string): Promise<string> {
  return childScript(
    dir,
    'holder.mjs',
    `
    import { writeFileSync } from 'node:fs';
    const [path, ms, marker] = process.argv.slice(2);
    const release = await atomicfs.lock(path);
    console.log('LOCKED');
    if (ms === undefined) setInterval(() => {}, 1000);
    else {
      await new Promise((r) => setTimeout(r, Number(ms)));
      writeFileSync(marker, 'left');
      await release();
    }
  `,
  );
}

test('lockSync: acquire, release synchronously, take again; the record is gone after each release', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'file');
  const held = lockSync(p);
  assert.deepEqual(readdirSync(lockDir(dir)), ['x']);
  assert.equal(held.path, p);
  assert.equal(held.signal.aborted, false);
  held.releaseSync();
  assert.equal(existsSync(lockDir(dir)), false);
  held.releaseSync(); // idempotent
  await held(); // the same release, already done
  const again = lockSync(p, { timeout: 0 });
  assert.deepEqual(readdirSync(lockDir(dir)), ['x']);
  await again(); // its async release works too
  assert.equal(existsSync(lockDir(dir)), false);
  // A lock() taken asynchronously can be released synchronously.
  const asyncHeld = await lock(p);
  asyncHeld.releaseSync();
  assert.equal(existsSync(lockDir(dir)), false);
});

test('lockSync: shared holders coexist in one process; an exclusive one is refused while they hold', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'file');
  const a = lockSync(p, { shared: true });
  const b = lockSync(p, { shared: true });
  assert.throws(
    () => lockSync(p, { timeout: 1000 }),
    (err: AtomicError) => err.code === 'ELOCKED' && /this process/.test(err.message),
  );
  a.releaseSync();
  b.releaseSync();
  lockSync(p).releaseSync();
  assert.equal(existsSync(lockDir(dir)), false);
});

test('lockSync waits for another process to release, with the processor idle meanwhile', async (t) => {
  const dir = await tmpDir();
  const p = join(dir, 'file');
  const marker = join(dir, 'child-left');
  const { child, done } = run(await holderScript(dir), [p, '300', marker]);
  await waitFor(child, 'LOCKED');
  const cpu = process.cpuUsage();
  const started = performance.now();
  const held = lockSync(p, { timeout: 30_000 });
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  // The child wrote its marker before it released: we got the lock only after that.
  assert.ok(existsSync(marker), 'lockSync returned while the other process still held the lock');
  held.releaseSync();
  assert.equal((await done).code, 0);
  // Waiting blocks the thread (Atomics.wait); a busy loop would use the processor the whole time.
  assert.ok(wallMs > 50, `lockSync did not wait (${wallMs} ms)`);
  t.diagnostic(`processor used while waiting: ${cpuMs.toFixed(1)} ms in ${wallMs.toFixed(1)} ms`);
  assert.ok(cpuMs < wallMs * 0.5, `waiting used ${cpuMs.toFixed(1)} ms of processor in ${wallMs.toFixed(1)} ms`);
  assert.equal(existsSync(lockDir(dir)), false);
});

test('lockSync: a lock another process keeps gives LockError ELOCKED after `timeout`, leaving its record alone', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'file');
  const { child, done } = run(await holderScript(dir), [p]);
  try {
    await waitFor(child, 'LOCKED');
    assert.throws(
      () => lockSync(p, { timeout: 150 }),
      (err: AtomicError) => {
        assert.ok(err instanceof LockError);
        assert.equal(err.code, 'ELOCKED');
        assert.ok(err.message.includes(p), err.message);
        assert.match(err.message, /another holder after 150 ms/);
        return true;
      },
    );
    assert.deepEqual(readdirSync(lockDir(dir)), ['x']);
  } finally {
    child.kill('SIGKILL');
    await done;
  }
});

test('lockSync: a lock held by this process fails at once with ELOCKED saying so (it could never be released meanwhile)', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'file');
  const byThisProcess = (err: AtomicError): boolean => {
    assert.ok(err instanceof LockError);
    assert.equal(err.code, 'ELOCKED');
    assert.ok(err.message.includes(p), err.message);
    assert.match(err.message, /held by this process/);
    return true;
  };
  // Were it to wait, it would wait forever with the thread blocked (no test timer could
  // fire): the `timeout` turns that into a failure whose message says otherwise.
  const asyncHeld = await lock(p);
  assert.throws(() => lockSync(p, { timeout: 1000 }), byThisProcess);
  assert.throws(() => lockSync(p, { shared: true, timeout: 1000 }), byThisProcess);
  await asyncHeld();
  const syncHeld = lockSync(p);
  assert.throws(() => lockSync(p, { timeout: 1000 }), byThisProcess);
  // The failed attempts left nothing: the holder's record only, then nothing.
  assert.deepEqual(readdirSync(lockDir(dir)), ['x']);
  syncHeld.releaseSync();
  assert.equal(existsSync(lockDir(dir)), false);
});

test('lockSync takes over at once the lock of a process that died holding it', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'file');
  const { child, done } = run(await holderScript(dir), [p]);
  await waitFor(child, 'LOCKED');
  child.kill('SIGKILL');
  await done;
  assert.deepEqual(readdirSync(lockDir(dir)), ['x']); // the dead holder's record is still there
  const held = lockSync(p, { timeout: 5000 });
  held.releaseSync();
  assert.equal(existsSync(lockDir(dir)), false);
});

test('lockSync refuses a coordinator and a signal (asynchronous only) with EINVAL naming the path, touching nothing', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'file');
  const coordinator = { decideCommit: () => Promise.resolve() } as unknown as Coordinator;
  assert.throws(
    () => lockSync(p, { coordinator } as object),
    (err: AtomicError) =>
      err.code === 'EINVAL' && err.message.includes(p) && /coordinator.*asynchronous/.test(err.message),
  );
  assert.throws(
    () => lockSync(p, { signal: new AbortController().signal } as object),
    (err: AtomicError) => err.code === 'EINVAL' && /signal/.test(err.message),
  );
  assert.deepEqual(readdirSync(dir), []);
});

test("lockSync: a lock released by its holder between the waiter's two looks at it is taken, not failed with ENOENT", async () => {
  const dir = await tmpDir();
  const p = join(dir, 'file');
  const { child, done } = run(await holderScript(dir), [p]);
  try {
    await waitFor(child, 'LOCKED');
    // The waiter finds the folder, then lists it: the holder lets go in between (forced
    // here; found under load, where the holder is another process releasing at that moment).
    const disk = faultDisk();
    const release = disk.on((c) => c.op === 'readdir' && c.path === lockDir(dir), {
      before: () => rmSync(lockDir(dir), { recursive: true, force: true }),
      times: 1,
    });
    const held = lockSync(p, { disk, timeout: 10_000 });
    assert.equal(release.hits, 1, 'the race was met');
    held.releaseSync();
  } finally {
    child.kill('SIGKILL');
    await done;
  }
});
