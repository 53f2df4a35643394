/**
 * Issue 15, options the peers have: `encoding` for string data; `mode: false` and
 * `chown: false`; `parents: true` (durable: each created folder's parent synced); a move
 * across devices keeps the source's times, as a rename does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as atomicfs from '../src/index.js';
import { nodeDisk, faultDisk } from './helpers/file-disks.js';
import { tmpDir } from './helpers/tmp.js';

const umask = process.umask();

test('encoding: string data is written in it (writeFile, createFile, atomicWrite, streams, transactions)', async () => {
  const dir = await tmpDir();
  const text = 'héllo wörld';
  const expected = Buffer.from(text, 'utf16le');
  const r = await atomicfs.writeFile(join(dir, 'a'), text, { encoding: 'utf16le' });
  assert.equal(r.bytes, expected.length);
  assert.deepEqual(readFileSync(join(dir, 'a')), expected);
  await atomicfs.createFile(join(dir, 'b'), text, { encoding: 'latin1' });
  assert.deepEqual(readFileSync(join(dir, 'b')), Buffer.from(text, 'latin1'));
  await atomicfs.atomicWrite(join(dir, 'c'), (h) => h.write(text), { encoding: 'utf16le' });
  assert.deepEqual(readFileSync(join(dir, 'c')), expected);
  async function* chunks(): AsyncGenerator<string> {
    yield 'hé';
    yield 'llo';
  }
  await atomicfs.writeFile(join(dir, 'd'), chunks(), { encoding: 'utf16le' });
  assert.deepEqual(readFileSync(join(dir, 'd')), Buffer.from('héllo', 'utf16le'));
  await atomicfs.withTransaction((tx) => tx.writeFile(join(dir, 'e'), text, { encoding: 'utf16le' }), { root: dir });
  assert.deepEqual(readFileSync(join(dir, 'e')), expected);
  assert.equal(await atomicfs.readFile(join(dir, 'e'), { encoding: 'utf16le' }), text);
  await atomicfs.writeFile(join(dir, 'f'), 'aGk=', { encoding: 'base64' });
  assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'hi');
});

test("mode: false gives a new file's mode instead of keeping the replaced file's", async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  writeFileSync(p, 'old');
  chmodSync(p, 0o600);
  await atomicfs.writeFile(p, 'kept mode');
  assert.equal(statSync(p).mode & 0o777, 0o600);
  await atomicfs.writeFile(p, 'new mode', { mode: false });
  assert.equal(statSync(p).mode & 0o777, 0o666 & ~umask);
  chmodSync(p, 0o600);
  await atomicfs.withTransaction((tx) => tx.writeFile(p, 'tx', { mode: false }), { root: dir });
  assert.equal(statSync(p).mode & 0o777, 0o666 & ~umask);
});

test("chown: false leaves the new file to the writer instead of keeping the replaced file's owner", async (t) => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  writeFileSync(p, 'old');
  try {
    chownSync(p, 4321, 4321);
  } catch {
    return t.skip('needs root to give a file another owner');
  }
  await atomicfs.writeFile(p, 'kept owner');
  assert.equal(statSync(p).uid, 4321);
  await atomicfs.writeFile(p, 'writer owns it', { chown: false });
  assert.equal(statSync(p).uid, process.getuid?.());
  chownSync(p, 4321, 4321);
  await atomicfs.withTransaction((tx) => tx.writeFile(p, 'tx', { chown: false }), { root: dir });
  assert.equal(statSync(p).uid, process.getuid?.());
});

/** The real disk, recording every folder synced. */
function syncRecorder(): { disk: atomicfs.Disk; synced: string[] } {
  const synced: string[] = [];
  const disk = faultDisk();
  disk.on('syncDir', { before: (c) => void synced.push(c.path) });
  return { disk, synced };
}

test("parents: true makes missing folders, each created folder's parent synced", async () => {
  const dir = await tmpDir();
  const src = join(dir, 'src.txt');
  writeFileSync(src, 'S');
  const cases: [string, (p: string, disk: atomicfs.Disk, parents: boolean) => Promise<unknown>][] = [
    ['writeFile', (p, disk, parents) => atomicfs.writeFile(p, 'x', { parents, disk })],
    ['createFile', (p, disk, parents) => atomicfs.createFile(p, 'x', { parents, disk })],
    ['writeJson', (p, disk, parents) => atomicfs.writeJson(p, 1, { parents, disk })],
    ['atomicWrite', (p, disk, parents) => atomicfs.atomicWrite(p, (h) => h.write('x'), { parents, disk })],
    ['copyFile', (p, disk, parents) => atomicfs.copyFile(src, p, { parents, disk })],
    [
      'moveFile',
      async (p, disk, parents) => {
        writeFileSync(join(dir, 'm.txt'), 'M');
        await atomicfs.moveFile(join(dir, 'm.txt'), p, { parents, disk });
      },
    ],
  ];
  for (const [name, run] of cases) {
    const p = join(dir, name, 'a', 'b', 'f.txt');
    await assert.rejects(run(p, nodeDisk, false), { code: 'ENOENT' }, `${name} without parents`);
    const { disk, synced } = syncRecorder();
    await run(p, disk, true);
    assert.ok(statSync(p).isFile(), name);
    for (const created of [join(dir, name), join(dir, name, 'a'), join(dir, name, 'a', 'b')]) {
      assert.ok(
        synced.includes(dirname(created)),
        `${name}: the parent of ${created} was synced (${synced.join(', ')})`,
      );
    }
  }
});

test('parents: true when the folders exist creates nothing and syncs as usual', async () => {
  const dir = await tmpDir();
  await atomicfs.writeFile(join(dir, 'f'), 'x', { parents: true });
  assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'x');
});

test('parents: a file in the way is ENOTDIR or EEXIST; nothing is made', async () => {
  const dir = await tmpDir();
  writeFileSync(join(dir, 'file'), 'F');
  await assert.rejects(
    atomicfs.writeFile(join(dir, 'file', 'x', 'f'), 'x', { parents: true }),
    (err: atomicfs.AtomicError) => ['ENOTDIR', 'EEXIST'].includes(err.code),
  );
  assert.equal(readFileSync(join(dir, 'file'), 'utf8'), 'F');
});

test("moveFile across devices keeps the source's access and modification times", async () => {
  const dir = await tmpDir();
  const src = join(dir, 's.txt');
  const dest = join(dir, 'd.txt');
  writeFileSync(src, 'content');
  const atime = new Date('2020-01-02T03:04:05Z');
  const mtime = new Date('2021-06-07T08:09:10Z');
  utimesSync(src, atime, mtime);
  // Every rename of src itself fails as between two devices: the copy path is taken.
  const disk = faultDisk();
  disk.fail((c) => c.op === 'rename' && c.path === src, 'EXDEV', Infinity);
  await atomicfs.moveFile(src, dest, { disk });
  const st = statSync(dest);
  assert.equal(readFileSync(dest, 'utf8'), 'content');
  assert.equal(st.mtimeMs, mtime.getTime());
  assert.equal(st.atimeMs, atime.getTime());
});
