/**
 * Issue 15: a file system without ownership (chown fails with ENOSYS, as on some FUSE
 * mounts) does not fail a write that only keeps the replaced file's owner; an explicit
 * `chown` that cannot be done stays an error, with the target unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFile, type Disk } from '../src/index.js';
import { faultDisk } from './helpers/file-disks.js';
import { tmpDir } from './helpers/tmp.js';

function chownFailing(code: string): Disk {
  const disk = faultDisk();
  disk.fail('file.chown', code, Infinity);
  return disk;
}

/** A file owned by someone else than the writer (as root, any owner can be set). */
function foreignFile(dir: string): string {
  const p = join(dir, 'f.txt');
  writeFileSync(p, 'old');
  const uid = (process.getuid?.() ?? 0) + 4321;
  try {
    chownSync(p, uid, uid);
  } catch {
    return ''; // not root: another owner cannot be set up here
  }
  return p;
}

test('writeFile: ENOSYS from chown when keeping the old owner is skipped, like EPERM', async (t) => {
  const dir = await tmpDir();
  const p = foreignFile(dir);
  if (!p) return t.skip('needs root to give a file another owner');
  await writeFile(p, 'new', { disk: chownFailing('ENOSYS') });
  assert.equal(readFileSync(p, 'utf8'), 'new');
  assert.deepEqual(readdirSync(dir), ['f.txt']);
});

test('writeFile: an explicit chown that fails (EPERM, ENOSYS) is an error; nothing changed', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f.txt');
  writeFileSync(p, 'old');
  for (const code of ['EPERM', 'ENOSYS']) {
    await assert.rejects(
      writeFile(p, 'new', { chown: { uid: 1, gid: 1 }, disk: chownFailing(code) }),
      (err: NodeJS.ErrnoException) => err.code === code && err.message.includes(p),
    );
    assert.equal(readFileSync(p, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir), ['f.txt']);
    assert.equal(statSync(p).uid, process.getuid?.());
  }
});
