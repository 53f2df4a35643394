/**
 * Windows, for real (run by `npm run test:windows` with Node's Windows build under Wine;
 * see scripts/test-windows.sh): the everyday single-file calls at their default options,
 * paths with either separator, drive letters in either case, names in any letter case,
 * and a reader holding the target open while a write waits for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  atomicWrite,
  cleanupTemps,
  copyFile,
  copyFileSync,
  createFile,
  createFileSync,
  deleteFile,
  deleteFileSync,
  moveFile,
  moveFileSync,
  readFile,
  readFileSync as readFileSync_,
  readJson,
  readYaml,
  rotateFile,
  sha256File,
  sha256FileSync,
  updateJson,
  writeFile,
  writeFileSync as writeFileSync_,
  writeJson,
  writeYaml,
} from '../../src/index.js';
import { nodeDisk } from '../../src/disk/index.js';
import { run, childScript, waitFor } from '../helpers/child.js';
import { tmpDir } from '../helpers/tmp.js';

const temps = (dir: string): string[] => readdirSync(dir).filter((n) => n.includes('.atomicfs-'));
const slashes = (p: string): string => p.replaceAll('\\', '/');

test('this is Windows, and the disk says so', () => {
  assert.equal(process.platform, 'win32');
  assert.equal(nodeDisk.capabilities.family, 'windows');
  assert.equal(nodeDisk.capabilities.dirSync, false);
});

test('the everyday calls at their default options', async () => {
  const dir = await tmpDir();
  const a = join(dir, 'a.txt');
  const first = await writeFile(a, 'one');
  assert.equal(first.path, a);
  assert.equal(first.bytes, 3);
  assert.equal((await writeFile(a, 'two')).bytes, 3);
  assert.equal(await readFile(a, { encoding: 'utf8' }), 'two');
  await assert.rejects(createFile(a, 'x'), { code: 'EEXIST' });
  await createFile(join(dir, 'new.txt'), 'created');
  assert.equal(await atomicWrite(join(dir, 'w.txt'), async (h) => (await h.write('by handle'), 'ret')), 'ret');
  await copyFile(a, join(dir, 'copy.txt'));
  await moveFile(join(dir, 'copy.txt'), join(dir, 'moved.txt'));
  await writeJson(join(dir, 'j.json'), { n: 1 });
  assert.deepEqual(await updateJson(join(dir, 'j.json'), (old) => ({ n: (old as { n: number }).n + 1 })), { n: 2 });
  assert.deepEqual(await readJson(join(dir, 'j.json')), { n: 2 });
  await writeYaml(join(dir, 'y.yaml'), { k: 'v' });
  assert.deepEqual(await readYaml(join(dir, 'y.yaml')), { k: 'v' });
  assert.match(await sha256File(a), /^[0-9a-f]{64}$/);
  await rotateFile(join(dir, 'moved.txt'), { maxFiles: 2 });
  assert.equal(readFileSync(join(dir, 'moved.txt.1'), 'utf8'), 'two');
  await deleteFile(join(dir, 'new.txt'));
  assert.equal(existsSync(join(dir, 'new.txt')), false);
  assert.deepEqual((await cleanupTemps(dir, { olderThanMs: 0 })).removed, []);
  assert.deepEqual(temps(dir), []);
  assert.deepEqual(readdirSync(dir).sort(), ['a.txt', 'j.json', 'moved.txt.1', 'w.txt', 'y.yaml']);
});

test('either separator, either case of drive letter and of names: one file', async () => {
  const dir = await tmpDir();
  const back = join(dir, 'Name.TXT');
  await writeFile(back, 'back');
  await writeFile(slashes(back), 'forward');
  const lowerDrive = back[0]!.toLowerCase() + back.slice(1);
  await writeFile(lowerDrive.toLowerCase(), 'lower');
  assert.equal(readFileSync(back, 'utf8'), 'lower');
  assert.deepEqual(readdirSync(dir), ['Name.TXT'], 'one file, its first spelling kept');
  assert.equal(await readFile(slashes(back).toUpperCase(), { encoding: 'utf8' }), 'lower');
  await deleteFile(lowerDrive);
  assert.deepEqual(readdirSync(dir), []);
});

test('a write over a file this process holds open waits until it is closed, then replaces it', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'held.txt');
  writeFileSync(target, 'old');
  const fd = openSync(target, 'r');
  let closedAt = 0;
  setTimeout(() => {
    closeSync(fd);
    closedAt = Date.now();
  }, 300);
  await writeFile(target, 'new');
  assert.ok(closedAt > 0, 'the write resolved only after the reader closed the file');
  assert.equal(readFileSync(target, 'utf8'), 'new');
  assert.deepEqual(temps(dir), []);
});

test('a write over a file another process holds open for 300 ms waits for it and succeeds', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'held.txt');
  writeFileSync(target, 'old');
  const script = await childScript(
    dir,
    'hold.mjs',
    `import { openSync, closeSync } from 'node:fs';
const fd = openSync(process.argv[2], 'r');
console.log('holding');
setTimeout(() => { closeSync(fd); console.log('closed'); }, 300);`,
  );
  const holder = run(script, [target]);
  await waitFor(holder.child, 'holding');
  await writeFile(target, 'new');
  const done = await holder.done;
  assert.equal(done.code, 0, done.stderr);
  assert.equal(readFileSync(target, 'utf8'), 'new');
  assert.deepEqual(temps(dir), []);
});

test('a file held open for good fails the write within the bound, naming it; the target stays as it was', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'stuck.txt');
  writeFileSync(target, 'old');
  const fd = openSync(target, 'r');
  try {
    await assert.rejects(
      writeFile(target, 'new', { retry: { attempts: 3, maxDelayMs: 20 } }),
      (err: NodeJS.ErrnoException) => {
        assert.ok(['EPERM', 'EACCES', 'EBUSY'].includes(err.code ?? ''), String(err.code));
        assert.ok(err.message.includes(target), err.message);
        return true;
      },
    );
  } finally {
    closeSync(fd);
  }
  assert.equal(readFileSync(target, 'utf8'), 'old');
  assert.deepEqual(temps(dir), []);
});

test('an explicit chown is refused: Windows files have no POSIX owners', async () => {
  const dir = await tmpDir();
  await assert.rejects(writeFile(join(dir, 'o.txt'), 'x', { chown: { uid: 1, gid: 1 } }), { code: 'ENOTSUP' });
  assert.deepEqual(readdirSync(dir), []);
});

test('the synchronous calls, under Windows rules: no folder sync to fail, separators and case alike', async () => {
  const dir = await tmpDir();
  const a = join(dir, 'Sync.txt');
  assert.equal(writeFileSync_(a, 'one').bytes, 3);
  writeFileSync_(slashes(a).toLowerCase(), 'two');
  assert.equal(readFileSync_(a, { encoding: 'utf8' }), 'two');
  assert.throws(() => createFileSync(a, 'x'), { code: 'EEXIST' });
  copyFileSync(a, join(dir, 'c.txt'));
  moveFileSync(join(dir, 'c.txt'), join(dir, 'm.txt'));
  assert.equal(sha256FileSync(join(dir, 'm.txt')), await sha256File(a));
  deleteFileSync(join(dir, 'm.txt'));
  assert.deepEqual(readdirSync(dir), ['Sync.txt']);
});

test('a synchronous write over a file another process holds open for 300 ms waits for it, blocked, and succeeds', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'held.txt');
  writeFileSync(target, 'old');
  const script = await childScript(
    dir,
    'hold.mjs',
    `import { openSync, closeSync } from 'node:fs';
const fd = openSync(process.argv[2], 'r');
console.log('holding');
setTimeout(() => { closeSync(fd); console.log('closed'); }, 300);`,
  );
  const holder = run(script, [target]);
  await waitFor(holder.child, 'holding');
  // The sharing violation is retried with Atomics.wait between tries: the child runs meanwhile.
  writeFileSync_(target, 'new');
  const done = await holder.done;
  assert.equal(done.code, 0, done.stderr);
  assert.equal(readFileSync(target, 'utf8'), 'new');
  assert.deepEqual(temps(dir), []);
});
