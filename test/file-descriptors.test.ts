/**
 * Every descriptor a write opens is closed, whether the write is durable, not durable
 * (the close then runs after the rename and is not waited for), or failed, and so is the
 * folder a durable write opens alongside its rename, whether its sync used it or not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createFile, writeFile } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';
import { failingRename } from './helpers/file-disks.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** The count of open descriptors once background closes have had time to run. */
async function settledFds(baseline: number): Promise<number> {
  for (let i = 0; i < 50 && openFds() > baseline; i++) await sleep(20);
  return openFds();
}

test(
  'writes close every descriptor they open: durable, not durable, and failed',
  { skip: !existsSync('/proc/self/fd') && 'needs /proc/self/fd' },
  async () => {
    const dir = await tmpDir();
    mkdirSync(join(dir, 'a-folder'));
    await writeFile(join(dir, 'warm'), 'x'); // lazily opened handles of the runtime, once
    const baseline = openFds();
    for (let i = 0; i < 100; i++) {
      await writeFile(join(dir, `durable-${i % 5}`), `d${i}`);
      await writeFile(join(dir, `fast-${i % 5}`), `f${i}`, { fsync: false });
      await createFile(join(dir, `new-${i}`), 'n', { fsync: i % 2 === 0 });
      await assert.rejects(writeFile(join(dir, 'a-folder'), 'x', { fsync: i % 2 === 0 }), { code: 'EISDIR' });
      await assert.rejects(
        writeFile(join(dir, `refused-${i % 5}`), 'r', { disk: failingRename('EACCES', Infinity).disk }),
        { code: 'EACCES' },
      );
    }
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => writeFile(join(dir, `burst-${i}`), 'b', { fsync: i % 2 === 0 })),
    );
    assert.ok((await settledFds(baseline)) <= baseline, `descriptors left open: ${openFds() - baseline}`);
  },
);
