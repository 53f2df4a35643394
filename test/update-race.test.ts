/** docs/CRASH-MODEL.md test 4: many processes updating one JSON file lose no update. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJson } from '../src/index.js';
import { childScript, run } from './helpers/child.js';
import { sizeFromEnv, tmpDir } from './helpers/tmp.js';

const PROCS = sizeFromEnv('ATOMICFS_RACE_PROCS', 4);
const INCREMENTS = sizeFromEnv('ATOMICFS_RACE_INCREMENTS', 25);

test(`updateJson: ${PROCS} processes x ${INCREMENTS} increments end at exactly N x M`, async () => {
  const dir = await tmpDir();
  const p = join(dir, 'counter.json');
  const script = await childScript(
    dir,
    'inc.mjs',
    `
    const [path, times] = process.argv.slice(2);
    for (let i = 0; i < Number(times); i++) {
      await atomicfs.updateJson(path, (old) => ({ n: (old?.n ?? 0) + 1, last: process.pid }));
    }
  `,
  );
  const results = await Promise.all(Array.from({ length: PROCS }, () => run(script, [p, String(INCREMENTS)]).done));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  assert.equal((await readJson<{ n: number }>(p)).n, PROCS * INCREMENTS);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n !== 'inc.mjs'),
    ['counter.json'],
  );
});

test('lock: holders in different processes never overlap', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'res');
  const log = join(dir, 'log');
  // Each child appends "enter pid" then "leave pid" while holding the lock; with
  // mutual exclusion the log is a strict alternation of matched pairs.
  const script = await childScript(
    dir,
    'hold.mjs',
    `
    import { appendFileSync } from 'node:fs';
    const [path, log, times] = process.argv.slice(2);
    for (let i = 0; i < Number(times); i++) {
      const release = await atomicfs.lock(path);
      appendFileSync(log, 'enter ' + process.pid + '\\n');
      await new Promise((r) => setTimeout(r, 1));
      appendFileSync(log, 'leave ' + process.pid + '\\n');
      await release();
    }
  `,
  );
  const results = await Promise.all(Array.from({ length: PROCS }, () => run(script, [p, log, '10']).done));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const { readFileSync } = await import('node:fs');
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.equal(lines.length, PROCS * 10 * 2);
  for (let i = 0; i < lines.length; i += 2) {
    const enter = lines[i]!.split(' ');
    const leave = lines[i + 1]!.split(' ');
    assert.equal(enter[0], 'enter');
    assert.deepEqual(leave, ['leave', enter[1]]);
  }
});
