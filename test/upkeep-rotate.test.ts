/** rotateFile: the rotation pattern, compression, and re-runs after a crash half-way. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile as fsWriteFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { rotateFile } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';

/** name → content (gunzipped for .gz), for every file in `dir` but hidden ones. */
async function state(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of (await readdir(dir)).sort()) {
    if (n.startsWith('.')) continue;
    if ((await stat(join(dir, n))).isDirectory()) {
      out[n] = '(dir)';
      continue;
    }
    const raw = await readFile(join(dir, n));
    out[n] = n.endsWith('.gz') ? `gz:${gunzipSync(raw).toString()}` : raw.toString();
  }
  return out;
}

test('rotation shifts path → path.1 → … → path.N and drops the oldest', async () => {
  const dir = await tmpDir();
  const log = join(dir, 'app.log');
  for (let i = 1; i <= 5; i++) {
    await fsWriteFile(log, `gen${i}`);
    const r = await rotateFile(log, { maxFiles: 3 });
    assert.equal(r.rotated, true);
    assert.equal(r.dropped, i > 3 ? `${log}.3` : undefined);
  }
  assert.deepEqual(await state(dir), { 'app.log.1': 'gen5', 'app.log.2': 'gen4', 'app.log.3': 'gen3' });
  assert.deepEqual((await rotateFile(log, { maxFiles: 3 })).rotated, false, 'no live file: nothing to rotate');
  assert.deepEqual(await state(dir), { 'app.log.1': 'gen5', 'app.log.2': 'gen4', 'app.log.3': 'gen3' });
});

test('with compress, rotated files are gzipped (same mode) and shift as .gz', async () => {
  const dir = await tmpDir();
  const log = join(dir, 'app.log');
  for (let i = 1; i <= 4; i++) {
    await fsWriteFile(log, `gen${i} `.repeat(1000), { mode: 0o640 });
    const r = await rotateFile(log, { maxFiles: 2, compress: true });
    assert.deepEqual(r.files, i === 1 ? [`${log}.1.gz`] : [`${log}.1.gz`, `${log}.2.gz`]);
  }
  const s = await state(dir);
  assert.deepEqual(Object.keys(s), ['app.log.1.gz', 'app.log.2.gz']);
  assert.equal(s['app.log.1.gz'], `gz:${'gen4 '.repeat(1000)}`);
  assert.equal(s['app.log.2.gz'], `gz:${'gen3 '.repeat(1000)}`);
  assert.equal((await stat(join(dir, 'app.log.1.gz'))).mode & 0o777, 0o640);
});

test('a re-run after a crash at any step finishes the rotation: nothing lost, nothing duplicated', async () => {
  // The steps of one rotation of [live=L, .1=A, .2=B, .3=C] with maxFiles 3, and the state a
  // crash right after each step leaves.
  const crashes: Array<{ name: string; files: Record<string, string> }> = [
    { name: 'before anything', files: { log: 'L', 'log.1': 'A', 'log.2': 'B', 'log.3': 'C' } },
    { name: 'after dropping the oldest', files: { log: 'L', 'log.1': 'A', 'log.2': 'B' } },
    { name: 'after .2 → .3', files: { log: 'L', 'log.1': 'A', 'log.3': 'B' } },
    { name: 'after .1 → .2', files: { log: 'L', 'log.2': 'A', 'log.3': 'B' } },
    { name: 'after log → .1', files: { 'log.1': 'L', 'log.2': 'A', 'log.3': 'B' } },
  ];
  for (const c of crashes) {
    const dir = await tmpDir();
    for (const [n, t] of Object.entries(c.files)) await fsWriteFile(join(dir, n), t);
    await rotateFile(join(dir, 'log'), { maxFiles: 3 });
    assert.deepEqual(await state(dir), { 'log.1': 'L', 'log.2': 'A', 'log.3': 'B' }, c.name);
    // And running it yet again changes nothing (the live file is gone).
    await rotateFile(join(dir, 'log'), { maxFiles: 3 });
    assert.deepEqual(await state(dir), { 'log.1': 'L', 'log.2': 'A', 'log.3': 'B' }, `${c.name}, third run`);
  }
});

test('a re-run after a crash during compression finishes it', async () => {
  const gz = (t: string): Buffer => gzipSync(Buffer.from(t));
  const cases: Array<{ name: string; files: Record<string, string | Buffer> }> = [
    // log moved to .1, not yet compressed:
    { name: 'before gzip', files: { 'log.1': 'L', 'log.2.gz': gz('A') } },
    // .1.gz written (atomically), the plain .1 not yet removed:
    { name: 'before unlink', files: { 'log.1': 'L', 'log.1.gz': gz('L'), 'log.2.gz': gz('A') } },
    // a half-written temporary of the .gz (a crash inside writeFile) is not a .gz:
    {
      name: 'during gzip',
      files: { 'log.1': 'L', '.log.1.gz.123-0123456789ab.atomicfs-tmp': 'half', 'log.2.gz': gz('A') },
    },
  ];
  for (const c of cases) {
    const dir = await tmpDir();
    for (const [n, t] of Object.entries(c.files)) await fsWriteFile(join(dir, n), t);
    const r = await rotateFile(join(dir, 'log'), { maxFiles: 3, compress: true });
    assert.equal(r.rotated, false, c.name);
    assert.deepEqual(await state(dir), { 'log.1.gz': 'gz:L', 'log.2.gz': 'gz:A' }, c.name);
  }
});

test('simulated crash: kill the rotation after each step, re-run, same result', async () => {
  // Reproduce each intermediate state by doing the first k steps by hand, then re-run.
  const steps = async (dir: string, k: number): Promise<void> => {
    const p = (n: string): string => join(dir, n);
    const all = [
      () => unlink(p('log.3')),
      () => rename(p('log.2'), p('log.3')),
      () => rename(p('log.1'), p('log.2')),
      () => rename(p('log'), p('log.1')),
    ];
    for (const s of all.slice(0, k)) await s();
  };
  for (let k = 0; k <= 4; k++) {
    const dir = await tmpDir();
    for (const [n, t] of Object.entries({ log: 'L', 'log.1': 'A', 'log.2': 'B', 'log.3': 'C' }))
      await fsWriteFile(join(dir, n), t);
    await steps(dir, k);
    if (k < 4) await rotateFile(join(dir, 'log'), { maxFiles: 3 });
    assert.deepEqual(await state(dir), { 'log.1': 'L', 'log.2': 'A', 'log.3': 'B' }, `crash after step ${k}`);
  }
});

test('bad arguments are EINVAL and touch nothing', async () => {
  const dir = await tmpDir();
  await fsWriteFile(join(dir, 'log'), 'x');
  for (const maxFiles of [0, -1, 1.5, NaN]) {
    await assert.rejects(rotateFile(join(dir, 'log'), { maxFiles }), { code: 'EINVAL' });
  }
  await assert.rejects(rotateFile('', { maxFiles: 1 }), { code: 'EINVAL' });
  await mkdir(join(dir, 'folder'));
  await assert.rejects(rotateFile(join(dir, 'folder'), { maxFiles: 1 }), { code: 'EISDIR' });
  assert.deepEqual(await state(dir), { folder: '(dir)', log: 'x' });
});
