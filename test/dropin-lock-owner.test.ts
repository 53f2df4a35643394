/**
 * Issue 15: a release never frees somebody else's lock; a holder learns that its lock was
 * lost (onCompromised, the lock's signal); check() and unlock() as in proper-lockfile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, lock, unlock, updateJson, type AtomicError } from '../src/index.js';
import { childScript, run, waitFor } from './helpers/child.js';
import { tmpDir } from './helpers/tmp.js';

const lockDir = (dir: string, name: string): string => join(dir, `.${name}.atomicfs-lock`);

test('release: a lock removed while held and taken by another holder stays theirs', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'res');
  const first = await lock(p);
  rmSync(lockDir(dir, 'res'), { recursive: true }); // an operator, or a breaker that misjudged us
  const second = await lock(p, { timeout: 0 });
  await assert.rejects(first(), { code: 'ECOMPROMISED' });
  assert.equal(first.signal.aborted, true);
  assert.equal(await check(p), true, "the second holder's lock must survive the first one's release");
  await assert.rejects(lock(p, { timeout: 0 }), { code: 'ELOCKED' });
  await second();
  assert.equal(await check(p), false);
});

test('release: never removes the lock another process took after ours was removed', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'res');
  const mine = await lock(p);
  rmSync(lockDir(dir, 'res'), { recursive: true });
  const script = await childScript(
    dir,
    'hold.mjs',
    `
    const release = await atomicfs.lock(process.argv[2], { timeout: 5000 });
    console.log('held');
    await new Promise((r) => setTimeout(r, 60_000));
    await release();
  `,
  );
  const { child, done } = run(script, [p]);
  await waitFor(child, 'held');
  // With onCompromised absent the release rejects; the other process's record stays.
  await assert.rejects(mine(), { code: 'ECOMPROMISED' });
  const record = JSON.parse(readFileSync(join(lockDir(dir, 'res'), 'x'), 'utf8')) as { pid: number };
  assert.equal(record.pid, child.pid);
  child.kill();
  await done;
});

test('onCompromised and the signal fire while the lock is held, once', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'res');
  const told: AtomicError[] = [];
  const held = await lock(p, { staleMs: 150, onCompromised: (err) => told.push(err) });
  const aborted = new Promise((resolve) => held.signal.addEventListener('abort', resolve, { once: true }));
  assert.equal(held.signal.aborted, false);
  rmSync(lockDir(dir, 'res'), { recursive: true });
  // The lock's refresh timer does not keep a process alive: this test must.
  const alive = setInterval(() => undefined, 1000);
  await aborted;
  clearInterval(alive);
  assert.equal(told.length, 1);
  assert.equal(told[0]!.code, 'ECOMPROMISED');
  assert.match(told[0]!.message, /res/);
  assert.equal((held.signal.reason as AtomicError).code, 'ECOMPROMISED');
  await held(); // told already: the release resolves, removing nothing
  assert.equal(told.length, 1);
});

test('a lock held throughout keeps its signal quiet and releases cleanly', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'res');
  const held = await lock(p, { staleMs: 150, onCompromised: () => assert.fail('not lost') });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(held.signal.aborted, false);
  await held();
  assert.equal(await check(p), false);
});

test('check: false, true while held (exclusive or shared, through a link), false after', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f.txt');
  writeFileSync(p, 'x');
  symlinkSync(p, join(dir, 'link'));
  assert.equal(await check(p), false);
  const ex = await lock(join(dir, 'link'));
  assert.equal(await check(p), true);
  await ex();
  assert.equal(await check(join(dir, 'link')), false);
  const sh = await lock(p, { shared: true });
  assert.equal(await check(join(dir, 'link')), true);
  await sh();
  assert.equal(await check(p), false);
});

test('check: a dead holder on this host does not count', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  const script = await childScript(
    dir,
    'die.mjs',
    `
    await atomicfs.lock(process.argv[2]);
    process.exit(0);
  `,
  );
  assert.equal((await run(script, [p]).done).code, 0);
  assert.equal(await check(p), false);
});

test("unlock: releases this process's own lock, by any spelling", async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  symlinkSync(p, join(dir, 'link'));
  await lock(p);
  assert.equal(await check(p), true);
  await unlock(join(dir, 'link'));
  assert.equal(await check(p), false);
  await assert.rejects(unlock(p), { code: 'ENOTACQUIRED' });
});

test("unlock: another process's lock is never removed (ENOTACQUIRED)", async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  const script = await childScript(
    dir,
    'hold.mjs',
    `
    const release = await atomicfs.lock(process.argv[2]);
    console.log('held');
    await new Promise((r) => setTimeout(r, 60_000));
    await release();
  `,
  );
  const { child, done } = run(script, [p]);
  await waitFor(child, 'held');
  await assert.rejects(unlock(p), (err: AtomicError) => err.code === 'ENOTACQUIRED' && err.message.includes(p));
  assert.equal(await check(p), true);
  child.kill();
  await done;
});

test('unlock: never releases the lock updateJson holds for its own read-modify-write', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'c.json');
  let inside!: () => void;
  const entered = new Promise<void>((r) => (inside = r));
  let proceed!: () => void;
  const gate = new Promise<void>((r) => (proceed = r));
  const updating = updateJson<{ n: number }>(p, async (old) => {
    inside();
    await gate;
    return { n: (old?.n ?? 0) + 1 };
  });
  await entered;
  await assert.rejects(unlock(p), { code: 'ENOTACQUIRED' });
  assert.equal(await check(p), true);
  proceed();
  assert.deepEqual(await updating, { n: 1 });
});
