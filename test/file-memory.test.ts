/**
 * A large streamed write keeps memory constant: a child process writes ATOMICFS_BIG_MB
 * MiB (default 64; 1024 for the 1 GiB check) from a Readable stream, and at no sample
 * does the write hold 16 MiB more than a baseline the child takes just before it (see
 * helpers/file-big-child.ts for what is measured, and why not resident memory). A write
 * that kept its content would hold nearly all of it by the last sample. The file goes to
 * `.tmp-test/` in the project (gitignored), as /tmp may be a small RAM disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sizeFromEnv } from './helpers/tmp.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./helpers/file-big-child.js', import.meta.url));
const WORK = fileURLToPath(new URL('../../.tmp-test/', import.meta.url));
const MIB = sizeFromEnv('ATOMICFS_BIG_MB', 64);
const LIMIT_MIB = 16;

test(
  `a ${MIB} MiB streamed writeFile holds less than ${LIMIT_MIB} MiB at once`,
  { timeout: 30 * 60_000 },
  async (t) => {
    await mkdir(WORK, { recursive: true });
    const dir = await mkdtemp(join(WORK, 'big-'));
    try {
      const path = join(dir, 'big.bin');
      const { stdout } = await run(process.execPath, ['--expose-gc', CHILD, path, String(MIB)], { maxBuffer: 1 << 20 });
      const out = JSON.parse(stdout.trim()) as {
        heldMiB: number;
        rssGrowthMiB: number;
        bytes: number;
        shaMatches: boolean;
      };
      t.diagnostic(
        `held at most ${out.heldMiB.toFixed(1)} MiB (resident memory grew by ${out.rssGrowthMiB.toFixed(1)} MiB) for ${MIB} MiB written`,
      );
      assert.equal(out.bytes, MIB * (1 << 20));
      assert.ok(out.shaMatches, 'the reported SHA-256 is that of the data');
      assert.equal((await stat(path)).size, MIB * (1 << 20));
      assert.ok(out.heldMiB < LIMIT_MIB, `held ${out.heldMiB.toFixed(1)} MiB at once`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);
