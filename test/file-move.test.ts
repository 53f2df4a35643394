/**
 * moveFile specifics: directory syncs after the rename (each directory once), the copy
 * across devices in the safe order, moves onto the same file, and errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  link,
  lstat,
  mkdir,
  readFile,
  readdir,
  readlink,
  stat,
  symlink,
  writeFile as fsWriteFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { moveFile, writeFile, type Disk } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';
import { alteringReads, loggingDisk, nodeDisk, recordingHooks, faultDisk } from './helpers/file-disks.js';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const names = (code: string, path: string) => (err: NodeJS.ErrnoException) => {
  assert.equal(err.code, code, err.message);
  assert.ok(err.message.includes(path), err.message);
  return true;
};

/** A disk on which renaming `src` (but not the temporary files beside dest) is EXDEV. */
function exdevFor(src: string, base: Disk = nodeDisk): Disk {
  const disk = faultDisk(base);
  disk.fail((c) => c.op === 'rename' && c.path === src, 'EXDEV', Infinity);
  return disk;
}

test('moveFile within one directory: one rename, one directory sync', async () => {
  const dir = await tmpDir();
  await fsWriteFile(join(dir, 'a'), 'content');
  const { disk, log } = loggingDisk();
  await moveFile(join(dir, 'a'), join(dir, 'b'), { disk });
  assert.deepEqual(log, [`rename ${join(dir, 'a')} ${join(dir, 'b')}`, `syncDir ${dir}`]);
  assert.deepEqual(await readdir(dir), ['b']);
  assert.equal(await readFile(join(dir, 'b'), 'utf8'), 'content');
});

test('moveFile between directories syncs both, each once; fsync: false syncs none', async () => {
  const dir = await tmpDir();
  await mkdir(join(dir, 'x'));
  await mkdir(join(dir, 'y'));
  await fsWriteFile(join(dir, 'x', 'a'), 'content');
  const { disk, log } = loggingDisk();
  await moveFile(join(dir, 'x', 'a'), join(dir, 'y', 'b'), { disk });
  assert.equal(log[0], `rename ${join(dir, 'x', 'a')} ${join(dir, 'y', 'b')}`);
  assert.deepEqual(log.slice(1).sort(), [`syncDir ${join(dir, 'x')}`, `syncDir ${join(dir, 'y')}`]);
  log.length = 0;
  await moveFile(join(dir, 'y', 'b'), join(dir, 'x', 'c'), { disk, fsync: false });
  assert.deepEqual(log, [`rename ${join(dir, 'y', 'b')} ${join(dir, 'x', 'c')}`]);
});

test('moveFile across devices (EXDEV): copy, sync, rename, sync dest dir, then unlink src and sync its dir', async () => {
  const dir = await tmpDir();
  await mkdir(join(dir, 'from'));
  await mkdir(join(dir, 'to'));
  const src = join(dir, 'from', 'data');
  const dest = join(dir, 'to', 'data');
  const data = randomBytes(2 * (1 << 20) + 3);
  await fsWriteFile(src, data);
  await chmod(src, 0o640);
  await fsWriteFile(dest, 'old');
  const { disk, log } = loggingDisk(exdevFor(src));
  await moveFile(src, dest, { disk, verify: true });
  assert.equal(sha(await readFile(dest)), sha(data));
  assert.equal((await stat(dest)).mode & 0o7777, 0o640);
  assert.deepEqual(await readdir(join(dir, 'from')), []);
  assert.deepEqual(await readdir(join(dir, 'to')), ['data']);
  assert.equal(log.length, 4, log.join('\n'));
  assert.match(log[0]!, new RegExp(`^rename ${join(dir, 'to')}/\\.data\\.\\d+-[0-9a-f]{12}\\.atomicfs-tmp ${dest}$`));
  assert.deepEqual(log.slice(1), [`syncDir ${join(dir, 'to')}`, `unlink ${src}`, `syncDir ${join(dir, 'from')}`]);
});

test(
  'moveFile across devices keeps the owner of the source (as root)',
  { skip: process.getuid?.() !== 0 && 'needs root' },
  async () => {
    const dir = await tmpDir();
    const src = join(dir, 'src');
    await fsWriteFile(src, 'x');
    await chown(src, 1234, 1234);
    await moveFile(src, join(dir, 'dest'), { disk: exdevFor(src) });
    const st = await stat(join(dir, 'dest'));
    assert.deepEqual([st.uid, st.gid], [1234, 1234]);
  },
);

test('moveFile across devices: a failed verify or copy leaves src and dest as they were', async () => {
  const dir = await tmpDir();
  const src = join(dir, 'src');
  const dest = join(dir, 'dest');
  await fsWriteFile(src, 'new');
  await fsWriteFile(dest, 'old');
  await assert.rejects(
    moveFile(src, dest, { disk: exdevFor(src, alteringReads()), verify: true }),
    names('EINTEGRITY', dest),
  );
  const full = faultDisk();
  full.fail((c) => c.op === 'file.write' && c.flags === 'wx', 'ENOSPC', Infinity);
  await assert.rejects(moveFile(src, dest, { disk: exdevFor(src, full) }), names('ENOSPC', dest));
  assert.equal(await readFile(src, 'utf8'), 'new');
  assert.equal(await readFile(dest, 'utf8'), 'old');
  assert.deepEqual((await readdir(dir)).sort(), ['dest', 'src']);
});

test('moveFile across devices refuses to turn a symbolic link into a copy', async () => {
  const dir = await tmpDir();
  await fsWriteFile(join(dir, 'real'), 'x');
  await symlink('real', join(dir, 'link'));
  await assert.rejects(
    moveFile(join(dir, 'link'), join(dir, 'dest'), { disk: exdevFor(join(dir, 'link')) }),
    names('EXDEV', join(dir, 'link')),
  );
  assert.ok((await lstat(join(dir, 'link'))).isSymbolicLink());
  assert.deepEqual((await readdir(dir)).sort(), ['link', 'real']);
});

test('moveFile of a symbolic link moves the link itself', async () => {
  const dir = await tmpDir();
  await fsWriteFile(join(dir, 'real'), 'x');
  await symlink('real', join(dir, 'link'));
  await moveFile(join(dir, 'link'), join(dir, 'link2'));
  assert.equal(await readlink(join(dir, 'link2')), 'real');
  assert.equal(await readFile(join(dir, 'real'), 'utf8'), 'x');
});

test('moveFile onto itself is a no-op; onto another link to the same file is EINVAL', async () => {
  const dir = await tmpDir();
  const a = join(dir, 'a');
  await fsWriteFile(a, 'keep');
  await moveFile(a, a);
  await moveFile(a, join(dir, '.', 'a'));
  assert.equal(await readFile(a, 'utf8'), 'keep');
  // dest is a link to src: replacing "the file it points to" with itself changes nothing.
  await symlink('a', join(dir, 'to-a'));
  await moveFile(a, join(dir, 'to-a'));
  assert.equal(await readFile(a, 'utf8'), 'keep');
  // rename(2) between two hard links of one file does nothing and reports success.
  await link(a, join(dir, 'hard'));
  await assert.rejects(moveFile(a, join(dir, 'hard')), names('EINVAL', join(dir, 'hard')));
  // Moving a link onto the file it points to would leave a link pointing at itself.
  await assert.rejects(moveFile(join(dir, 'to-a'), a), names('EINVAL', a));
  assert.equal(await readFile(a, 'utf8'), 'keep');
  assert.deepEqual((await readdir(dir)).sort(), ['a', 'hard', 'to-a']);
});

test('moveFile errors: a missing source is ENOENT naming it; a directory source is EISDIR', async () => {
  const dir = await tmpDir();
  const missing = join(dir, 'missing');
  await assert.rejects(moveFile(missing, join(dir, 'dest')), names('ENOENT', missing));
  await mkdir(join(dir, 'sub'));
  await assert.rejects(moveFile(join(dir, 'sub'), join(dir, 'dest')), names('EISDIR', join(dir, 'sub')));
  assert.deepEqual(await readdir(dir), ['sub']);
});

test('moveFile records the move in the audit trail and keeps the replaced dest in the backup', async () => {
  const dir = await tmpDir();
  await fsWriteFile(join(dir, 'src'), 'new');
  await fsWriteFile(join(dir, 'dest'), 'old');
  const hooks = recordingHooks();
  await moveFile(join(dir, 'src'), join(dir, 'dest'), { backup: hooks.backup, audit: hooks.audit });
  assert.deepEqual(hooks.preserved, [{ paths: [join(dir, 'dest')], operation: 'moveFile', contents: ['old'] }]);
  assert.deepEqual(hooks.entries, [
    {
      operation: 'moveFile',
      outcome: 'ok',
      backupId: 'backup-1',
      files: [
        { path: join(dir, 'dest'), before: sha('old'), after: sha('new'), size: 3 },
        { path: join(dir, 'src'), before: sha('new'), after: null, size: 0 },
      ],
    },
  ]);
});

test('moveFile issued after writeFile to its source moves what that write committed', async () => {
  const dir = await tmpDir();
  for (let i = 0; i < 5; i++) {
    const w = writeFile(join(dir, 'src'), `v${i}`.padEnd(200_000, '.'), { fsync: false });
    const m = moveFile(join(dir, 'src'), join(dir, 'dest'), { fsync: false });
    await Promise.all([w, m]);
    assert.ok((await readFile(join(dir, 'dest'), 'utf8')).startsWith(`v${i}.`), `round ${i}`);
    assert.deepEqual(await readdir(dir), ['dest']);
  }
});

test('moveFile: a failing directory sync is reported naming both paths, saying the file was moved', async () => {
  const dir = await tmpDir();
  await fsWriteFile(join(dir, 'a'), 'x');
  const disk = faultDisk();
  disk.fail('syncDir', 'EIO', Infinity);
  await assert.rejects(moveFile(join(dir, 'a'), join(dir, 'b'), { disk }), (err: NodeJS.ErrnoException) => {
    names('EIO', join(dir, 'b'))(err);
    assert.ok(err.message.includes(join(dir, 'a')), err.message);
    assert.match(err.message, /moved, but syncing its folder failed/);
    return true;
  });
});
