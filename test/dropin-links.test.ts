/**
 * Issue 15: locks and the in-process write order follow the file, not its spelling:
 * callers that name one file through symbolic links (chains of them, a link to its
 * folder, a relative link) exclude and order each other like callers of the target.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { copyFile, lock, moveFile, readJson, updateJson, writeFile } from '../src/index.js';
import { childScript, run } from './helpers/child.js';
import { sizeFromEnv, tmpDir } from './helpers/tmp.js';

/** One counter file and several spellings of it. */
async function spellings(): Promise<{ dir: string; target: string; names: string[] }> {
  const dir = await tmpDir();
  const real = join(dir, 'real');
  mkdirSync(real);
  const target = join(real, 'counter.json');
  symlinkSync(target, join(dir, 'link1.json'));
  symlinkSync(join(dir, 'link1.json'), join(dir, 'link2.json')); // a chain
  symlinkSync('counter.json', join(real, 'relative.json')); // relative
  symlinkSync(real, join(dir, 'folder')); // a link to the folder
  const names = [
    target,
    join(dir, 'link1.json'),
    join(dir, 'link2.json'),
    join(real, 'relative.json'),
    join(dir, 'folder', 'counter.json'),
    join(dir, 'folder', 'link-in.json'),
  ];
  symlinkSync(join(dir, 'link2.json'), join(real, 'link-in.json'));
  return { dir, target, names };
}

const CALLS = sizeFromEnv('ATOMICFS_LINK_CALLS', 24);

test(`updateJson: ${CALLS} concurrent calls through links and the target lose no update`, async () => {
  const { names, target } = await spellings();
  await Promise.all(
    Array.from({ length: CALLS }, (_, i) =>
      updateJson<{ n: number }>(names[i % names.length]!, async (old) => {
        const n = old?.n ?? 0;
        await new Promise((r) => setTimeout(r, 1)); // a read-modify-write that takes a while
        return { n: n + 1 };
      }),
    ),
  );
  assert.equal((await readJson<{ n: number }>(target)).n, CALLS);
});

test('updateJson: processes using different spellings of one file lose no update', async () => {
  const { dir, names, target } = await spellings();
  const procs = sizeFromEnv('ATOMICFS_LINK_PROCS', 4);
  const each = sizeFromEnv('ATOMICFS_LINK_INCREMENTS', 6);
  const script = await childScript(
    dir,
    'inc.mjs',
    `
    const [times, ...paths] = process.argv.slice(2);
    await Promise.all(Array.from({ length: Number(times) }, (_, i) =>
      atomicfs.updateJson(paths[i % paths.length], (old) => ({ n: (old?.n ?? 0) + 1 }))));
  `,
  );
  const results = await Promise.all(
    Array.from(
      { length: procs },
      (_, p) => run(script, [String(each), ...names.slice(p % names.length), ...names.slice(0, p % names.length)]).done,
    ),
  );
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  assert.equal((await readJson<{ n: number }>(target)).n, procs * each);
});

test('lock: a lock taken through a link excludes one taken on the target', async () => {
  const { names, target } = await spellings();
  for (const name of names.slice(1)) {
    const release = await lock(name);
    await assert.rejects(lock(target, { timeout: 0 }), { code: 'ELOCKED' }, name);
    await release();
    await (
      await lock(target, { timeout: 0 })
    )();
  }
});

test('lock: its record lives beside the real file, not beside the link', async () => {
  const { dir, names } = await spellings();
  const release = await lock(names[2]!); // through a chain of links
  assert.ok(readdirSync(join(dir, 'real')).includes('.counter.json.atomicfs-lock'));
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.includes('atomicfs-lock')),
    [],
  );
  await release();
});

test('writeFile: calls through a link and on its target land in call order', async () => {
  const { names, target } = await spellings();
  const big = 'x'.repeat(8 * 1024 * 1024);
  // The first call is through a link and slow to write; the last call must still win.
  const first = writeFile(names[2]!, big);
  const second = writeFile(target, 'last');
  await Promise.all([first, second]);
  assert.equal(readFileSync(target, 'utf8'), 'last');
  const third = writeFile(target, big);
  const fourth = writeFile(names[4]!, 'last again');
  await Promise.all([third, fourth]);
  assert.equal(readFileSync(target, 'utf8'), 'last again');
});

test('copyFile and moveFile between a link and its target neither hang nor churn', async () => {
  const { names, target } = await spellings();
  await writeFile(target, 'content');
  await Promise.all([
    assert.rejects(copyFile(names[1]!, target), { code: 'EINVAL' }),
    assert.rejects(copyFile(target, names[4]!), { code: 'EINVAL' }),
    assert.rejects(moveFile(names[4]!, target), { code: 'EINVAL' }),
    writeFile(names[2]!, 'after'),
  ]);
  assert.equal(readFileSync(target, 'utf8'), 'after');
});
