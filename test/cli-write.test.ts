/** `write` and `create`: stdin streamed into a file, --json, failures leave the file alone, Ctrl-C. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished, jsonOf, runCli, shellStatus, startCli } from './helpers/cli-run.js';
import { largestOther, namesIn, waitFor } from './helpers/cli-files.js';
import { sizeFromEnv, tmpDir } from './helpers/tmp.js';

const MIB = 1024 * 1024;
// Size of the streamed input; larger runs: ATOMICFS_CLI_WRITE_MB=512.
const WRITE_MB = sizeFromEnv('ATOMICFS_CLI_WRITE_MB', 16);

async function* chunks(count: number, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < count; i++) yield Buffer.alloc(size, i % 251);
}

test('write streams stdin into the file and reports path, bytes and sha256 with --json', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'big.bin');
  const hash = createHash('sha256');
  for await (const c of chunks(WRITE_MB, MIB)) hash.update(c);
  const r = await runCli(['write', target, '--json'], { input: chunks(WRITE_MB, MIB) });
  assert.equal(r.code, 0, r.stderr);
  const doc = jsonOf(r);
  assert.deepEqual(doc, {
    ok: true,
    command: 'write',
    path: target,
    bytes: WRITE_MB * MIB,
    sha256: hash.digest('hex'),
  });
  assert.equal((await stat(target)).size, WRITE_MB * MIB);
  assert.deepEqual(await namesIn(dir), ['big.bin']);
  assert.equal(r.stderr, '', 'nothing on stderr off a terminal (no progress bar)');
});

test('write consumes stdin as it arrives (streamed, not buffered whole)', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'out.bin');
  const child = startCli(['write', target]);
  const done = finished(child);
  // Send 4 MiB and keep stdin open: a streaming writer has it on disk already.
  child.stdin?.write(Buffer.alloc(4 * MIB, 7));
  await waitFor(
    'the temporary file to hold the first 4 MiB',
    async () => (await largestOther(dir, 'out.bin')) >= 4 * MIB,
  );
  child.stdin?.end(Buffer.alloc(MIB, 8));
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await stat(target)).size, 5 * MIB);
  assert.deepEqual(await namesIn(dir), ['out.bin']);
});

test('write prints a human line without --json, and honours --mode', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'a.txt');
  const r = await runCli(['write', target, '--mode', '600'], { input: 'hello\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^wrote .*a\.txt \(6 B, sha256 [0-9a-f]{64}\)\n$/);
  assert.equal(await readFile(target, 'utf8'), 'hello\n');
  assert.equal((await stat(target)).mode & 0o777, 0o600);
});

test('create refuses an existing file: status 1, code and path on stderr, says rolled back, file untouched', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'leader.pid');
  await writeFile(target, 'first\n');
  const r = await runCli(['create', target, '--json'], { input: 'second\n' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /EEXIST/);
  assert.ok(r.stderr.includes(target), r.stderr);
  assert.match(r.stderr, /rolled back: nothing was changed/);
  assert.ok(!r.stderr.includes('\u001b'), 'no colour off a terminal');
  const doc = jsonOf(r);
  assert.equal(doc.ok, false);
  assert.equal(doc.command, 'create');
  assert.deepEqual(Object.keys(doc.error as object).sort(), ['code', 'message', 'outcome', 'path', 'rolledBack']);
  assert.equal((doc.error as { code: string }).code, 'EEXIST');
  assert.equal((doc.error as { rolledBack: boolean }).rolledBack, true);
  assert.equal(await readFile(target, 'utf8'), 'first\n');
  assert.deepEqual(await namesIn(dir), ['leader.pid']);
});

test('create makes a new file', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'new.txt');
  const r = await runCli(['create', target, '--json'], { input: 'x' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(jsonOf(r).bytes, 1);
  assert.equal(await readFile(target, 'utf8'), 'x');
});

test('write into a missing folder: status 1, ENOENT and the path on stderr', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'no', 'such', 'file');
  const r = await runCli(['write', target], { input: 'x' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error ENOENT/);
  assert.ok(r.stderr.includes(target), r.stderr);
  assert.equal(r.stdout, '');
});

test('SIGINT during a write: status 130, the old content stays, no temporary file left', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'config');
  await writeFile(target, 'old\n');
  const child = startCli(['write', target]);
  const done = finished(child);
  child.stdin?.write(Buffer.alloc(2 * MIB, 1));
  await waitFor('the write to be under way', async () => (await largestOther(dir, 'config')) >= 2 * MIB);
  child.kill('SIGINT');
  const r = await done;
  assert.equal(shellStatus(r), 130, r.stderr);
  assert.match(r.stderr, /interrupted by SIGINT and rolled back: nothing was changed/);
  assert.equal(await readFile(target, 'utf8'), 'old\n');
  assert.deepEqual(await namesIn(dir), ['config']);
});

test('--no-fsync and --verify are accepted and the write still lands', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'v.txt');
  const r = await runCli(['write', target, '--no-fsync', '--verify', '--json'], { input: 'verified' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await readFile(target, 'utf8'), 'verified');
});
