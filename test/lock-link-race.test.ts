/**
 * A lock folder can be released and the lock taken again as a link (lock-link.ts) between
 * a waiter's two looks at it: the waiter found the folder's exclusive record (EEXIST),
 * and by the time it reads that record to judge its holder, the record's folder is a
 * file, so the read fails with ENOTDIR. The waiter must look at the lock again, not fail.
 * Forced here on every run: the read of the record, right after the EEXIST, fails with
 * the ENOTDIR that race gives (found under load in tx-lock-link's cross-process test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lock } from '../src/index.js';
import { faultDisk } from './helpers/fault-disk.js';
import { tmpDir } from './helpers/tmp.js';

test(
  'a waiter whose look at the holder meets a lock turned link (ENOTDIR) looks again and gets the lock',
  { timeout: 30_000 },
  async () => {
    const dir = await tmpDir();
    const file = join(dir, 'a.txt');
    writeFileSync(file, 'x');
    const disk = faultDisk();
    const first = await lock(file, { disk });
    // The next read-only open of the exclusive record (the waiter judging the holder) fails as the race makes it.
    const rule = disk.fail(
      (c) => c.op === 'open' && c.flags === 'r' && c.path.endsWith(`.a.txt.atomicfs-lock${'/'}x`),
      'ENOTDIR',
    );
    const waiting = lock(file, { disk, timeout: 10_000 });
    setTimeout(() => void first(), 200);
    const second = await waiting;
    assert.equal(rule.hits, 1, 'the race was met');
    await second();
  },
);
