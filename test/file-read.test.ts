/** readFile and sha256File: content through the disk seam, streamed hashes, clear errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, symlink, writeFile as fsWriteFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFile, sha256File, writeFile } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';
import type { DiskStat } from '../src/disk/index.js';
import { deniedDisk, faultDisk } from './helpers/file-disks.js';
import { sizeFromEnv } from './helpers/tmp.js';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

const names = (code: string, path: string) => (err: NodeJS.ErrnoException) => {
  assert.equal(err.code, code, err.message);
  assert.ok(err.message.includes(path), err.message);
  return true;
};

test('readFile resolves to a Buffer, or a string with an encoding', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  await fsWriteFile(p, 'grüße');
  const buf = await readFile(p);
  assert.ok(Buffer.isBuffer(buf));
  assert.equal(buf.toString('utf8'), 'grüße');
  assert.equal(await readFile(p, { encoding: 'utf8' }), 'grüße');
  assert.equal(await readFile(p, { encoding: 'base64' }), Buffer.from('grüße').toString('base64'));
});

test('readFile reads empty and multi-chunk files whole, through a symbolic link too', async () => {
  const dir = await tmpDir();
  await fsWriteFile(join(dir, 'empty'), '');
  assert.equal((await readFile(join(dir, 'empty'))).length, 0);
  const big = randomBytes(2 * (1 << 20) + 123);
  await fsWriteFile(join(dir, 'big'), big);
  await symlink('big', join(dir, 'link'));
  assert.equal(sha(await readFile(join(dir, 'link'))), sha(big));
});

test('readFile reads what a file holds when it is longer than its first stat said', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  await fsWriteFile(p, 'abc');
  // A disk whose fstat under-reports the size, as when a writer appends meanwhile.
  const disk = faultDisk();
  disk.on('file.stat', {
    after: (_c, st) => ({
      ...(st as DiskStat),
      size: 1,
      isFile: () => true,
      isDirectory: () => false,
      isSymbolicLink: () => false,
    }),
  });
  assert.equal(await readFile(p, { disk, encoding: 'utf8' }), 'abc');
});

test('readFile errors name the path: ENOENT, EISDIR, EACCES; bad encoding is EINVAL', async () => {
  const dir = await tmpDir();
  const missing = join(dir, 'missing');
  await assert.rejects(readFile(missing), names('ENOENT', missing));
  await mkdir(join(dir, 'sub'));
  await assert.rejects(readFile(join(dir, 'sub')), names('EISDIR', join(dir, 'sub')));
  const p = join(dir, 'secret');
  await fsWriteFile(p, 'x');
  await chmod(p, 0o000);
  const denied = faultDisk();
  denied.fail('open', 'EACCES', Infinity);
  await assert.rejects(readFile(p, { disk: denied }), names('EACCES', p));
  if (process.getuid?.() !== 0) await assert.rejects(readFile(p), names('EACCES', p));
  await assert.rejects(readFile(p, { encoding: 'klingon' as BufferEncoding }), names('EINVAL', p));
  await assert.rejects(readFile(''), { code: 'EINVAL' });
  await assert.rejects(readFile(p, { signal: AbortSignal.abort() }), { code: 'ABORT_ERR' });
});

test('readFile never sees a partial write while writeFile replaces the file', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  const versions = Array.from({ length: 6 }, (_, i) => Buffer.alloc(200_000 + i * 50_000, 65 + i));
  const known = new Set(versions.map(sha));
  await writeFile(p, versions[0]!);
  const rounds = sizeFromEnv('ATOMICFS_READ_ROUNDS', 60);
  let stop = false;
  const writer = (async () => {
    for (let i = 0; !stop; i++) await writeFile(p, versions[i % versions.length]!, { fsync: false });
  })();
  try {
    for (let i = 0; i < rounds; i++) {
      const got = await readFile(p);
      assert.ok(known.has(sha(got)), `read ${i}: a whole version (${got.length} bytes)`);
    }
  } finally {
    stop = true;
    await writer;
  }
});

test('sha256File hashes in chunks through the disk seam and matches crypto', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  const data = randomBytes(3 * (1 << 20) + 17);
  await fsWriteFile(p, data);
  const reads: number[] = [];
  const disk = faultDisk();
  disk.alterReads((bytes) => void reads.push(bytes.length));
  assert.equal(await sha256File(p, { disk }), sha(data));
  assert.ok(reads.length >= 4, `streamed in chunks: ${reads.length} reads`);
  assert.ok(Math.max(...reads) <= 1 << 20, 'no read larger than one chunk');
  await fsWriteFile(join(dir, 'empty'), '');
  assert.equal(await sha256File(join(dir, 'empty')), sha(''));
});

test('sha256File errors name the path: ENOENT, EISDIR, EACCES, abort', async () => {
  const dir = await tmpDir();
  await assert.rejects(sha256File(join(dir, 'nope')), names('ENOENT', join(dir, 'nope')));
  await assert.rejects(sha256File(dir), names('EISDIR', dir));
  const p = join(dir, 'f');
  await fsWriteFile(p, 'x');
  const denied = faultDisk();
  denied.fail('open', 'EACCES', Infinity);
  await assert.rejects(sha256File(p, { disk: denied }), names('EACCES', p));
  await assert.rejects(sha256File(p, { signal: AbortSignal.abort() }), { code: 'ABORT_ERR' });
  // deniedDisk lets reads through: hashing needs no write permission.
  assert.equal(await sha256File(p, { disk: deniedDisk() }), sha('x'));
});
