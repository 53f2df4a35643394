/** deleteFile: ENOENT unless force, durable (directory synced after the unlink), hooks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, readdir, stat, symlink, writeFile as fsWriteFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deleteFile, writeFile } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';
import { deniedDisk, loggingDisk, recordingHooks, sysError, faultDisk } from './helpers/file-disks.js';

const names = (code: string, path: string) => (err: NodeJS.ErrnoException) => {
  assert.equal(err.code, code, err.message);
  assert.ok(err.message.includes(path), err.message);
  return true;
};

test('deleteFile removes the file and then syncs its directory', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  await fsWriteFile(p, 'x');
  const { disk, log } = loggingDisk();
  await deleteFile(p, { disk });
  await assert.rejects(stat(p), { code: 'ENOENT' });
  assert.deepEqual(log, [`unlink ${p}`, `syncDir ${dir}`]);
});

test('deleteFile with fsync: false skips the directory sync', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  await fsWriteFile(p, 'x');
  const { disk, log } = loggingDisk();
  await deleteFile(p, { disk, fsync: false });
  assert.deepEqual(log, [`unlink ${p}`]);
});

test('deleteFile of a missing file is ENOENT naming it, unless force', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'missing');
  await assert.rejects(deleteFile(p), names('ENOENT', p));
  await deleteFile(p, { force: true });
  await assert.rejects(deleteFile(join(dir, 'no-dir', 'f')), names('ENOENT', join(dir, 'no-dir', 'f')));
});

test('deleteFile of a directory is EISDIR naming it, even with force; the directory stays', async () => {
  const dir = await tmpDir();
  const sub = join(dir, 'sub');
  await mkdir(sub);
  await assert.rejects(deleteFile(sub), names('EISDIR', sub));
  await assert.rejects(deleteFile(sub, { force: true }), names('EISDIR', sub));
  assert.ok((await stat(sub)).isDirectory());
});

test('deleteFile of a symbolic link removes the link, not the file it points to', async () => {
  const dir = await tmpDir();
  await fsWriteFile(join(dir, 'real'), 'keep me');
  await symlink('real', join(dir, 'link'));
  await deleteFile(join(dir, 'link'));
  await assert.rejects(lstat(join(dir, 'link')), { code: 'ENOENT' });
  assert.equal(await readFile(join(dir, 'real'), 'utf8'), 'keep me');
});

test('deleteFile without permission is EACCES naming the path; the file stays', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  await fsWriteFile(p, 'x');
  await chmod(dir, 0o555);
  try {
    await assert.rejects(deleteFile(p, { disk: deniedDisk() }), names('EACCES', p));
    if (process.getuid?.() !== 0) await assert.rejects(deleteFile(p), names('EACCES', p));
  } finally {
    await chmod(dir, 0o755);
  }
  assert.equal(await readFile(p, 'utf8'), 'x');
});

test('deleteFile retries a transient EBUSY, and fails at once on EIO', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  await fsWriteFile(p, 'x');
  const busy = faultDisk();
  busy.fail('unlink', 'EBUSY', 2);
  await deleteFile(p, { disk: busy, retry: { attempts: 4, maxDelayMs: 5 } });
  assert.equal(busy.count('unlink'), 3);
  await fsWriteFile(p, 'x');
  const broken = faultDisk();
  broken.fail('unlink', 'EIO', Infinity);
  await assert.rejects(deleteFile(p, { disk: broken, retry: { attempts: 4, maxDelayMs: 5 } }), names('EIO', p));
  assert.equal(broken.count('unlink'), 1);
  assert.equal(await readFile(p, 'utf8'), 'x');
});

test('deleteFile keeps a backup before the unlink and records the change after', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  await fsWriteFile(p, 'precious');
  const hooks = recordingHooks();
  await deleteFile(p, { backup: hooks.backup, audit: hooks.audit });
  assert.deepEqual(hooks.preserved, [{ paths: [p], operation: 'deleteFile', contents: ['precious'] }]);
  assert.deepEqual(hooks.entries, [
    {
      operation: 'deleteFile',
      outcome: 'ok',
      backupId: 'backup-1',
      files: [{ path: p, before: createHash('sha256').update('precious').digest('hex'), after: null, size: 0 }],
    },
  ]);
  assert.ok((hooks.durations[0] ?? -1) >= 0, "the record carries the call's duration");
});

test('deleteFile: a failing backup stops the delete; a failed delete is audited as failed', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  await fsWriteFile(p, 'x');
  const hooks = recordingHooks();
  const failingBackup = { preserve: async () => Promise.reject(sysError('ENOSPC', 'write', '/backups')) };
  await assert.rejects(deleteFile(p, { backup: failingBackup, audit: hooks.audit }), { code: 'ENOSPC' });
  assert.equal(await readFile(p, 'utf8'), 'x');
  assert.equal(hooks.entries.length, 1);
  assert.equal(hooks.entries[0]?.outcome, 'failed');
});

test('deleteFile: an abort before the call leaves the file', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  await fsWriteFile(p, 'x');
  await assert.rejects(deleteFile(p, { signal: AbortSignal.abort() }), { code: 'ABORT_ERR' });
  assert.equal(await readFile(p, 'utf8'), 'x');
});

test('deleteFile issued after writeFile to the same path lands after it (call order)', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  for (let i = 0; i < 10; i++) {
    const w = writeFile(p, 'x'.repeat(100_000), { fsync: false });
    const d = deleteFile(p, { fsync: false });
    await Promise.all([w, d]);
    assert.deepEqual(await readdir(dir), [], `round ${i}: the delete came last`);
  }
});

test('deleteFile: a failing directory sync is reported naming the path, saying the file was removed', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  await fsWriteFile(p, 'x');
  const disk = faultDisk();
  disk.fail('syncDir', 'EIO', Infinity);
  await assert.rejects(deleteFile(p, { disk }), (err: NodeJS.ErrnoException) => {
    names('EIO', p)(err);
    assert.match(err.message, /removed, but syncing its folder failed/);
    return true;
  });
});
