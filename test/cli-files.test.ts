/** `rm`, `cp`, `mv` and `sha256` from the shell, with and without --json. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonOf, runCli } from './helpers/cli-run.js';
import { namesIn } from './helpers/cli-files.js';
import { tmpDir } from './helpers/tmp.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

test('cp replaces the destination and keeps the source; --mode applies', async () => {
  const dir = await tmpDir();
  await writeFile(join(dir, 'a'), 'alpha');
  await writeFile(join(dir, 'b'), 'old');
  const r = await runCli(['cp', join(dir, 'a'), join(dir, 'b'), '--mode', '0640', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(jsonOf(r), { ok: true, command: 'cp', src: join(dir, 'a'), dest: join(dir, 'b') });
  assert.equal(await readFile(join(dir, 'b'), 'utf8'), 'alpha');
  assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'alpha');
  assert.equal((await stat(join(dir, 'b'))).mode & 0o777, 0o640);
});

test('mv moves; a missing source fails with status 1, ENOENT and the path, and changes nothing', async () => {
  const dir = await tmpDir();
  await writeFile(join(dir, 'a'), 'alpha');
  const r = await runCli(['mv', join(dir, 'a'), join(dir, 'c')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^moved .* -> .*c\n$/);
  assert.deepEqual(await namesIn(dir), ['c']);
  const missing = await runCli(['mv', join(dir, 'a'), join(dir, 'c'), '--json']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /ENOENT/);
  assert.ok(missing.stderr.includes(join(dir, 'a')), missing.stderr);
  assert.equal((jsonOf(missing).error as { code: string }).code, 'ENOENT');
  assert.equal(await readFile(join(dir, 'c'), 'utf8'), 'alpha');
});

test('mv has no --mode (a move keeps the source mode): usage error', async () => {
  const r = await runCli(['mv', 'a', 'b', '--mode', '600']);
  assert.equal(r.code, 2);
});

test('rm deletes; a missing file is ENOENT (status 1) unless --force', async () => {
  const dir = await tmpDir();
  await writeFile(join(dir, 'x'), 'x');
  const r = await runCli(['rm', join(dir, 'x'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(jsonOf(r), { ok: true, command: 'rm', path: join(dir, 'x') });
  assert.deepEqual(await namesIn(dir), []);
  const again = await runCli(['rm', join(dir, 'x')]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /ENOENT/);
  const forced = await runCli(['rm', join(dir, 'x'), '--force']);
  assert.equal(forced.code, 0, forced.stderr);
});

test('sha256 prints sums like sha256sum, and a list with --json', async () => {
  const dir = await tmpDir();
  await writeFile(join(dir, 'one'), 'one');
  await writeFile(join(dir, 'two'), 'two');
  const r = await runCli(['sha256', join(dir, 'one'), join(dir, 'two')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${sha('one')}  ${join(dir, 'one')}\n${sha('two')}  ${join(dir, 'two')}\n`);
  const j = await runCli(['sha256', join(dir, 'one'), '--json']);
  assert.deepEqual(jsonOf(j), { ok: true, command: 'sha256', files: [{ path: join(dir, 'one'), sha256: sha('one') }] });
  const missing = await runCli(['sha256', join(dir, 'nope')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /ENOENT.*nope|nope.*ENOENT/);
});
