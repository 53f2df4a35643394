/**
 * Compiled code survives a full garbage collection between writes.
 *
 * V8 compiles hot functions against the hidden classes of the objects they handle and
 * holds those classes weakly. When a full collection runs while no write is in flight,
 * nothing alive has them, so they are collected, and every function compiled against
 * them is thrown away and compiled again during the next writes: on a small machine,
 * that costs the writes after each collection about a third more processor time. The
 * disk seam and PendingFile keep their last object alive to prevent it.
 *
 * A child process warms the write path up (durable and not), collects twice with
 * nothing in flight, writes again, and V8's own trace must show no code thrown away
 * for that reason ("weak objects").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { childScript } from './helpers/child.js';
import { tmpDir } from './helpers/tmp.js';

const run = promisify(execFile);

const BODY = `
import { join } from 'node:path';
const dir = process.argv[2];
const data = Buffer.alloc(256, 97);
const burst = (fsync) => Promise.all([0, 1, 2, 3].map((i) => atomicfs.writeFile(join(dir, 'f' + i), data, { fsync })));
for (let i = 0; i < 400; i++) await burst(false);
for (let i = 0; i < 150; i++) await burst(true);
console.log('COLLECTING');
globalThis.gc();
globalThis.gc();
console.log('COLLECTED');
for (let i = 0; i < 20; i++) await burst(i % 2 === 0);
console.log('DONE');
`;

test('a full GC with no write in flight does not throw away the compiled write path', { timeout: 120_000 }, async () => {
  const dir = await tmpDir();
  const script = await childScript(dir, 'jit-child.mjs', BODY);
  const { stdout } = await run(process.execPath, ['--expose-gc', '--trace-opt', '--trace-deopt', script, dir], { maxBuffer: 64 << 20 });
  const lines = stdout.split('\n');
  const collecting = lines.indexOf('COLLECTING');
  assert.ok(collecting > 0 && lines.includes('DONE'), 'the child ran to the end');
  // Not vacuous: the write path was compiled before the collections.
  const optimized = lines.slice(0, collecting).filter((l) => l.includes('completed optimizing'));
  assert.ok(
    optimized.some((l) => l.includes('<JSFunction replaceFile ')),
    `replaceFile was optimized before the collection (${optimized.length} functions were)`,
  );
  const thrownAway = lines.filter((l) => l.includes('reason: weak objects'));
  assert.deepEqual(thrownAway, [], 'no optimized code was discarded because the objects it was compiled for died');
});
