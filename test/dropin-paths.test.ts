/**
 * Issue 15, paths as the peers and node:fs take them: `file:` URLs everywhere; a trailing
 * slash on a file path is ENOTDIR (library and command), never a write to the file; a null
 * byte is our EINVAL naming the path; EACCES names the folder where the temporary file
 * could not be made.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import fc from 'fast-check';
import { pathToFileURL } from 'node:url';
import * as atomicfs from '../src/index.js';
import { faultDisk } from './helpers/file-disks.js';
import { runCli } from './helpers/cli-run.js';
import { tmpDir } from './helpers/tmp.js';
import { absolutePath } from '../src/file/check-path.js';
import { parseTempName, tempPathFor } from '../src/file/temp-name.js';

test('a trailing slash on a file path is ENOTDIR: the file is not replaced, nothing left behind', async () => {
  const dir = await tmpDir();
  const keep = join(dir, 'keep.txt');
  writeFileSync(keep, 'kept');
  const slashed = keep + '/';
  const calls: [string, () => Promise<unknown>][] = [
    ['writeFile', () => atomicfs.writeFile(slashed, 'new')],
    ['createFile', () => atomicfs.createFile(join(dir, 'other.txt/'), 'new')],
    ['atomicWrite', () => atomicfs.atomicWrite(slashed, (h) => h.write('new'))],
    ['writeJson', () => atomicfs.writeJson(slashed, 1)],
    ['updateJson', () => atomicfs.updateJson(slashed, () => 1)],
    ['copyFile (dest)', () => atomicfs.copyFile(keep, join(dir, 'copy.txt/'))],
    ['copyFile (onto it)', () => atomicfs.copyFile(join(dir, 'x'), slashed)],
    ['moveFile (dest)', () => atomicfs.moveFile(keep, join(dir, 'moved.txt/'))],
    ['deleteFile', () => atomicfs.deleteFile(slashed)],
    ['readFile', () => atomicfs.readFile(slashed)],
  ];
  for (const [name, run] of calls) {
    await assert.rejects(
      run(),
      (err: atomicfs.AtomicError) => err.code === 'ENOTDIR' && /\.txt\/: ENOTDIR/.test(err.message),
      name,
    );
    assert.equal(readFileSync(keep, 'utf8'), 'kept', name);
    assert.deepEqual(readdirSync(dir), ['keep.txt'], name);
  }
  // A transaction refuses it when staged.
  const tx = await atomicfs.transaction({ root: dir });
  assert.throws(() => tx.writeFile(slashed, 'new'), { code: 'ENOTDIR' });
  await assert.rejects(tx.commit(), { code: 'ETXFAILED' });
  assert.equal(readFileSync(keep, 'utf8'), 'kept');
});

test('atomicfs write keep.txt/ refuses with ENOTDIR, as cp does; keep.txt stays', async () => {
  const dir = await tmpDir();
  const keep = join(dir, 'keep.txt');
  writeFileSync(keep, 'kept');
  const r = await runCli(['write', keep + '/'], { input: 'new content' });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /ENOTDIR/);
  assert.ok(r.stderr.includes(keep + '/'), r.stderr);
  assert.equal(readFileSync(keep, 'utf8'), 'kept');
  assert.deepEqual(readdirSync(dir), ['keep.txt']);
});

test('a null byte in a path is EINVAL naming the path, not ERR_INVALID_ARG_VALUE', async () => {
  const dir = await tmpDir();
  const bad = join(dir, 'a\0b');
  const calls: [string, () => Promise<unknown>][] = [
    ['writeFile', () => atomicfs.writeFile(bad, 'x')],
    ['readFile', () => atomicfs.readFile(bad)],
    ['deleteFile', () => atomicfs.deleteFile(bad)],
    ['copyFile', () => atomicfs.copyFile(bad, join(dir, 'c'))],
    ['moveFile', () => atomicfs.moveFile(join(dir, 'c'), bad)],
    ['lock', () => atomicfs.lock(bad)],
    ['sha256File', () => atomicfs.sha256File(bad)],
    ['updateJson', () => atomicfs.updateJson(bad, () => 1)],
    ['transaction', () => atomicfs.transaction({ root: bad })],
  ];
  for (const [name, run] of calls) {
    await assert.rejects(run(), (err: Error & { code?: string }) => {
      assert.ok(err instanceof atomicfs.AtomicError, `${name}: ${err.message}`);
      assert.equal(err.code, 'EINVAL', name);
      assert.match(err.message, /null byte/, name);
      assert.ok(err.message.includes(JSON.stringify(bad).slice(1, -1)), `${name}: ${err.message}`);
      return true;
    });
  }
  assert.deepEqual(readdirSync(dir), []);
});

test('file: URLs are paths for every call that takes one', async () => {
  const dir = await tmpDir();
  const url = (name: string): URL => pathToFileURL(join(dir, name));
  await atomicfs.writeFile(url('a.txt'), 'A');
  assert.equal(await atomicfs.readFile(url('a.txt'), { encoding: 'utf8' }), 'A');
  await atomicfs.createFile(url('b.txt'), 'B');
  await atomicfs.copyFile(url('a.txt'), url('c.txt'));
  await atomicfs.moveFile(url('c.txt'), url('d.txt'));
  assert.equal(await atomicfs.sha256File(url('d.txt')), await atomicfs.sha256File(join(dir, 'a.txt')));
  await atomicfs.writeJson(url('n.json'), { n: 1 });
  assert.equal((await atomicfs.updateJson<{ n: number }>(url('n.json'), (o) => ({ n: o!.n + 1 }))).n, 2);
  assert.deepEqual(await atomicfs.readJson(url('n.json')), { n: 2 });
  await atomicfs.atomicWrite(url('w.txt'), (h) => h.write('W'));
  const release = await atomicfs.lock(url('a.txt'));
  assert.equal(await atomicfs.check(url('a.txt')), true);
  await release();
  await atomicfs.deleteFile(url('b.txt'));
  await atomicfs.withTransaction((tx) => tx.writeFile(url('t.txt'), 'T').copyFile(url('a.txt'), url('t2.txt')), {
    root: pathToFileURL(dir),
  });
  await atomicfs.recover(pathToFileURL(dir));
  await atomicfs.mergeConfigs([url('n.json')], url('merged.json'));
  await atomicfs.rotateFile(url('w.txt'), { maxFiles: 1 });
  await atomicfs.cleanupTemps(pathToFileURL(dir));
  assert.deepEqual(
    readdirSync(dir)
      .filter((n) => !n.startsWith('.'))
      .sort(),
    ['a.txt', 'd.txt', 'merged.json', 'n.json', 't.txt', 't2.txt', 'w.txt.1'],
  );
  await assert.rejects(atomicfs.writeFile(new URL('https://example.com/x'), 'x'), { code: 'EINVAL' });
});

test('EACCES making the temporary file names the folder, not only the (writable) file', async () => {
  const dir = await tmpDir();
  const ro = join(dir, 'rodir');
  mkdirSync(ro);
  const p = join(ro, 'f.txt');
  writeFileSync(p, 'old');
  // As root a read-only folder is writable anyway: the disk says EACCES as the kernel would.
  const disk = faultDisk();
  disk.fail((c) => c.op === 'open' && c.flags === 'wx' && c.path.startsWith(ro), 'EACCES', Infinity);
  await assert.rejects(atomicfs.writeFile(p, 'new', { disk }), (err: atomicfs.AtomicError) => {
    assert.equal(err.code, 'EACCES');
    assert.ok(err.message.includes(p), err.message);
    assert.match(
      err.message,
      new RegExp(`cannot create a temporary file in folder ${ro.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    return true;
  });
  assert.equal(readFileSync(p, 'utf8'), 'old');
});

test('a trailing slash on a folder is fine where a folder is meant (lock, cleanupTemps, root)', async () => {
  const dir = await tmpDir();
  symlinkSync(dir, join(dir, 'self'));
  const release = await atomicfs.lock(dir + '/');
  await release();
  await atomicfs.cleanupTemps(dir + '/');
  const tx = await atomicfs.transaction({ root: dir + '/' });
  await tx.rollback();
});

test('AuditLog entries filter by a file: URL as by a path', async () => {
  const dir = await tmpDir();
  const log = new atomicfs.AuditLog(pathToFileURL(join(dir, 'audit.log')));
  await atomicfs.writeFile(join(dir, 'a.txt'), 'A', { audit: log });
  await atomicfs.writeFile(join(dir, 'b.txt'), 'B', { audit: log });
  assert.equal((await log.entries({ path: pathToFileURL(join(dir, 'a.txt')) })).length, 1);
  assert.equal((await log.entries({ path: join(dir, 'b.txt') })).length, 1);
});

test("a write's path made absolute is what path.resolve makes of it, for any spelling of dots and separators", () => {
  const piece = fc.constantFrom('/', '//', '.', '..', '...', 'a', '.a', 'b.', '\\', ' ', 'é');
  fc.assert(
    fc.property(fc.array(piece, { minLength: 1, maxLength: 12 }), (pieces) => {
      const p = pieces.join('');
      assert.equal(absolutePath(p), resolve(p), JSON.stringify(p));
    }),
    { numRuns: 2000 },
  );
});

test("a temporary file's name is the target's hidden name with a fresh tag, in the target's own folder, for any spelling", () => {
  const piece = fc.constantFrom('/', '//', '.', '..', 'a', '.a', 'b.', ' ', 'é', 'x'.repeat(150));
  fc.assert(
    fc.property(fc.boolean(), fc.array(piece, { minLength: 1, maxLength: 8 }), (absolute, pieces) => {
      const target = (absolute ? '/' : '') + pieces.join('');
      const first = tempPathFor(target);
      const second = tempPathFor(target);
      assert.notEqual(first, second, 'each name is fresh');
      for (const temp of [first, second]) {
        // The folder dirname gives (spelt alike, but for doubled slashes) and the name basename gives.
        assert.equal(resolve(dirname(temp)), resolve(dirname(target)), JSON.stringify(target));
        const name = basename(temp);
        assert.ok(name.startsWith(`.${basename(target).slice(0, 100)}.`), JSON.stringify([target, name]));
        assert.equal(parseTempName(name)?.pid, process.pid, JSON.stringify(name));
      }
    }),
    { numRuns: 2000 },
  );
});
