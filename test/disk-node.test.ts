/**
 * The real disk seam (node-disk.ts). On a local file system, fchmod and close run on the
 * main thread once the folder's file system is known; elsewhere, and before that, in the
 * thread pool. Either way they must behave alike: the change made, and every failure a
 * rejected promise (callers chain `.catch`), never an exception thrown at the call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdir, writeFile as fsWriteFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeDisk } from './helpers/file-disks.js';
import { tmpDir } from './helpers/tmp.js';

async function checkFileCalls(dir: string): Promise<void> {
  const path = join(dir, `f-${Math.random().toString(16).slice(2)}`);
  const file = await nodeDisk.open(path, 'wx', 0o600);
  await file.write(Buffer.from('data'));
  await file.chmod(0o640);
  assert.equal(statSync(path).mode & 0o777, 0o640);
  await file.close();
  const closedAgain = file.close();
  assert.ok(closedAgain instanceof Promise);
  await assert.rejects(closedAgain, { code: 'EBADF' });
  // Made at once on a local file system, a call on a closed file throws there instead.
  await assert.rejects(async () => file.chmod(0o600), { code: 'EBADF' });
}

test('fchmod and close change what they should and fail with EBADF once closed, before and after the folder is known', async () => {
  const dir = await tmpDir();
  const fresh = join(dir, 'fresh');
  await mkdir(fresh);
  // First file in a folder never seen: its file system is being looked up meanwhile.
  await checkFileCalls(fresh);
  // Later files, once the lookup is back.
  await sleep(50);
  for (let i = 0; i < 3; i++) await checkFileCalls(fresh);
});

test('a file opened with truncation, or truncated, closes and keeps its content', async () => {
  const dir = await tmpDir();
  const path = join(dir, 'log');
  await fsWriteFile(path, 'old content');
  await sleep(20);
  const file = await nodeDisk.open(path, 'w');
  await file.write(Buffer.from('new'));
  await file.truncate(2);
  await file.close();
  assert.equal(statSync(path).size, 2);
  await assert.rejects(async () => file.close(), { code: 'EBADF' });
});

test('openDir: a folder opened ahead syncs and closes; a missing folder or a file is refused', async () => {
  const dir = await tmpDir();
  const opened = await nodeDisk.openDir!(dir);
  assert.equal(opened.path, dir);
  await fsWriteFile(join(dir, 'entry'), 'x');
  await opened.sync();
  await opened.close();
  // A second close is a no-op (the number may belong to another file by then); a sync
  // after close is refused.
  await opened.close();
  await assert.rejects(opened.sync(), { code: 'EBADF' });
  await assert.rejects(nodeDisk.openDir!(join(dir, 'missing')), { code: 'ENOENT' });
  await assert.rejects(nodeDisk.openDir!(join(dir, 'entry')), { code: 'ENOTDIR' });
});

test('lstatIfAny and lstatIfAnySync: undefined where nothing is, the entry where something is, other failures as lstat gives them', async () => {
  const dir = await tmpDir();
  const file = join(dir, 'a.txt');
  await fsWriteFile(file, 'x');
  const lookups = [
    (p: string) => nodeDisk.lstatIfAny!(p),
    (p: string) => Promise.resolve().then(() => nodeDisk.lstatIfAnySync!(p)),
  ];
  for (const lookup of lookups) {
    assert.equal(await lookup(join(dir, 'missing')), undefined);
    assert.equal(await lookup(join(dir, 'no-folder', 'missing')), undefined);
    const st = await lookup(file);
    assert.equal(st?.isFile(), true);
    assert.equal(st?.size, 1);
    // A file used as a folder is not "nothing there": the caller must learn of it.
    await assert.rejects(lookup(join(file, 'inside')), { code: 'ENOTDIR' });
  }
});
