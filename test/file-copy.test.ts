/** copyFile specifics: chunks through the seam, modes, the same file refused, call order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, readdir, stat, symlink, writeFile as fsWriteFile } from 'node:fs/promises';
import { join } from 'node:path';
import { copyFile, writeFile } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';
import { recordingHooks, faultDisk } from './helpers/file-disks.js';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const names = (code: string, path: string) => (err: NodeJS.ErrnoException) => {
  assert.equal(err.code, code, err.message);
  assert.ok(err.message.includes(path), err.message);
  return true;
};

test('copyFile streams the source in chunks no larger than 1 MiB', async () => {
  const dir = await tmpDir();
  const data = randomBytes(4 * (1 << 20) + 1);
  await fsWriteFile(join(dir, 'src'), data);
  let largest = 0;
  let reads = 0;
  const disk = faultDisk();
  disk.alterReads((bytes) => {
    reads++;
    largest = Math.max(largest, bytes.length);
  });
  await copyFile(join(dir, 'src'), join(dir, 'dest'), { disk });
  assert.equal(sha(await readFile(join(dir, 'dest'))), sha(data));
  assert.ok(reads >= 5 && largest <= 1 << 20, `${reads} reads, largest ${largest}`);
  assert.deepEqual((await readdir(dir)).sort(), ['dest', 'src']);
});

test("copyFile mode: opts.mode, else the replaced dest's, else the source's", async () => {
  const dir = await tmpDir();
  const src = join(dir, 'src');
  await fsWriteFile(src, 'x');
  await chmod(src, 0o751);
  await copyFile(src, join(dir, 'new'));
  assert.equal((await stat(join(dir, 'new'))).mode & 0o7777, 0o751);
  await fsWriteFile(join(dir, 'old'), 'y');
  await chmod(join(dir, 'old'), 0o600);
  await copyFile(src, join(dir, 'old'));
  assert.equal((await stat(join(dir, 'old'))).mode & 0o7777, 0o600);
  await copyFile(src, join(dir, 'old'), { mode: 0o640 });
  assert.equal((await stat(join(dir, 'old'))).mode & 0o7777, 0o640);
});

test('copyFile onto the same file is EINVAL and leaves it intact: same path, symlink, hard link', async () => {
  const dir = await tmpDir();
  const src = join(dir, 'src');
  await fsWriteFile(src, 'original');
  await symlink('src', join(dir, 'sym'));
  await link(src, join(dir, 'hard'));
  for (const dest of [src, join(dir, 'sym'), join(dir, 'hard'), join(dir, '.', 'src')]) {
    await assert.rejects(copyFile(src, dest), names('EINVAL', dest));
    assert.equal(await readFile(src, 'utf8'), 'original');
  }
  assert.deepEqual((await readdir(dir)).sort(), ['hard', 'src', 'sym']);
});

test('copyFile errors name the source: missing, a directory', async () => {
  const dir = await tmpDir();
  const missing = join(dir, 'missing');
  await assert.rejects(copyFile(missing, join(dir, 'dest')), names('ENOENT', missing));
  await mkdir(join(dir, 'sub'));
  await assert.rejects(copyFile(join(dir, 'sub'), join(dir, 'dest')), names('EISDIR', join(dir, 'sub')));
  assert.deepEqual(await readdir(dir), ['sub']);
  await assert.rejects(copyFile('', join(dir, 'dest')), { code: 'EINVAL' });
});

test('copyFile issued after writeFile to its source copies what that write committed', async () => {
  const dir = await tmpDir();
  const src = join(dir, 'src');
  await fsWriteFile(src, 'v0');
  for (let i = 1; i <= 5; i++) {
    const w = writeFile(src, `v${i}`.padEnd(200_000, '.'), { fsync: false });
    const c = copyFile(src, join(dir, 'dest'), { fsync: false });
    await Promise.all([w, c]);
    assert.ok((await readFile(join(dir, 'dest'), 'utf8')).startsWith(`v${i}.`), `round ${i}`);
  }
});

test('copyFile passes backup and audit through: the replaced dest is kept, the copy recorded', async () => {
  const dir = await tmpDir();
  await fsWriteFile(join(dir, 'src'), 'new');
  await fsWriteFile(join(dir, 'dest'), 'old');
  const hooks = recordingHooks();
  await copyFile(join(dir, 'src'), join(dir, 'dest'), { backup: hooks.backup, audit: hooks.audit });
  assert.deepEqual(hooks.preserved, [{ paths: [join(dir, 'dest')], operation: 'copyFile', contents: ['old'] }]);
  assert.deepEqual(hooks.entries[0]?.files, [
    { path: join(dir, 'dest'), before: sha('old'), after: sha('new'), size: 3 },
  ]);
});
