/**
 * Lock order, deterministically. Two callers lock the same paths named in opposite
 * orders. A third holder keeps one more shared path, so both try-everything-at-once fast
 * paths fail and both callers take the waiting path, one lock at a time. The disk then
 * lets each caller take its first lock before either goes on to its second: if locks were
 * taken in the order given rather than one global order, each would now hold the lock the
 * other waits for, on every run. With the global order, both wait for the same first
 * lock, and one after the other they get everything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lock, type Disk } from '../src/index.js';
import { lockAll } from '../src/tx/locks.js';
import { runAsync } from '../src/disk/dual.js';
import { EXCLUSIVE, lockDirFor } from '../src/lock/lock-record.js';
import { tmpDir } from './helpers/tmp.js';
import { faultDisk } from './helpers/fault-disk.js';

/** Resolves once `n` callers have arrived. */
function barrier(n: number): { arrive(): Promise<void>; opened: Promise<void> } {
  let count = 0;
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return {
    opened,
    arrive() {
      if (++count === n) open();
      return opened;
    },
  };
}

/**
 * The real disk, for one caller locking `order`: its first attempt of the waiting path
 * waits for the other caller's (both fast paths are over by then, their locks released);
 * every attempt at any lock but the one it tried first then waits for `second`.
 */
function sequencedDisk(order: string[], start: { arrive(): Promise<void> }, second: Promise<void>): Disk {
  let attempts = 0;
  let first: string | undefined;
  const lockDirs = new Set(order.map(lockDirFor));
  const disk = faultDisk();
  disk.on((c) => c.op === 'mkdir' && lockDirs.has(c.path), {
    before: async (c) => {
      attempts++;
      // The fast path makes one attempt per path, all at once; then the waiting path
      // begins with the lock it takes first.
      if (attempts === order.length + 1) {
        first = c.path;
        await start.arrive();
      } else if (attempts > order.length + 1 && c.path !== first) await second;
    },
  });
  return disk;
}

test(
  'opposite orders, both on the waiting path, each holding a first lock: no deadlock (global order)',
  { timeout: 60_000 },
  async () => {
    const dir = await tmpDir('atomicfs-order-');
    const [a, b, z] = ['a', 'b', 'z'].map((n) => join(dir, n)) as [string, string, string];
    for (const p of [a, b, z]) writeFileSync(p, '');
    const holdZ = await lock(z);
    const start = barrier(2);
    // Both first locks held (the deadlock set up, if the order is the one given), or, with
    // one global order, a while for the one waiting on the other's first lock.
    const held = (p: string): boolean => existsSync(join(lockDirFor(p), EXCLUSIVE));
    const second = (async () => {
      await start.opened;
      const until = Date.now() + 300;
      while (!(held(a) && held(b)) && Date.now() < until) await sleep(5);
      await holdZ();
    })();
    // A deadlock shows as both waits running out; generous, for a loaded machine (a run
    // without one takes well under a second).
    const take = (order: string[]) =>
      runAsync(lockAll(order, { disk: sequencedDisk(order, start, second), timeout: 20_000 }));
    const one = take([a, b, z]);
    const two = take([b, a, z]);
    // Whoever got everything first releases, so that the other can finish.
    const settled = await Promise.allSettled([
      one.then(async (release) => (await runAsync(release()), 'one')),
      two.then(async (release) => (await runAsync(release()), 'two')),
    ]);
    const failed = settled.filter((s) => s.status === 'rejected').map((s) => String(s.reason));
    assert.deepEqual(failed, [], 'a deadlock: each held one lock and waited for the other');
    await second;
  },
);
