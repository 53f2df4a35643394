/** `lock <path> -- <command…>`: runs the command under the lock and passes its exit status through. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished, jsonOf, runCli, startCli } from './helpers/cli-run.js';
import { waitFor } from './helpers/cli-files.js';
import { tmpDir } from './helpers/tmp.js';

test('the command runs with our stdio and its exit status is passed through', async () => {
  const dir = await tmpDir();
  const lockPath = join(dir, 'state.json');
  const ok = await runCli(['lock', lockPath, '--', 'sh', '-c', 'echo held; exit 0']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'held\n');
  const seven = await runCli(['lock', lockPath, '--', 'sh', '-c', 'exit 7']);
  assert.equal(seven.code, 7, seven.stderr);
  const json = await runCli(['lock', lockPath, '--json', '--', 'sh', '-c', 'exit 3']);
  assert.equal(json.code, 3);
  assert.deepEqual(jsonOf(json), {
    ok: true,
    command: 'lock',
    path: lockPath,
    argv: ['sh', '-c', 'exit 3'],
    exitCode: 3,
  });
});

test('a command ended by a signal gives 128+n; a missing command gives 127', async () => {
  const dir = await tmpDir();
  const killed = await runCli(['lock', join(dir, 'l'), '--', 'sh', '-c', 'kill -TERM $$']);
  assert.equal(killed.code, 143, killed.stderr);
  const missing = await runCli(['lock', join(dir, 'l'), '--', 'no-such-command-atomicfs']);
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /ENOENT/);
});

/** A shell command that holds on until `release` exists, after saying so in `flag`. */
function holdUntil(flag: string, release: string): string[] {
  return ['sh', '-c', `echo yes > "${flag}"; while [ ! -f "${release}" ]; do sleep 0.05; done`];
}

const exists = (path: string): Promise<boolean> =>
  readFile(path).then(
    () => true,
    () => false,
  );

test('while one holds the lock, another waits; with --timeout it gives up with ELOCKED (status 1)', async () => {
  const dir = await tmpDir();
  const lockPath = join(dir, 'state.json');
  const [flag, release] = [join(dir, 'holding'), join(dir, 'release')];
  const held = finished(startCli(['lock', lockPath, '--', ...holdUntil(flag, release)]));
  await waitFor('the first lock to be held', () => exists(flag));
  const r = await runCli(['lock', lockPath, '--timeout', '200', '--', 'true']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ELOCKED/);
  assert.ok(r.stderr.includes(lockPath), r.stderr);
  // Without a timeout the second waits for the first to end, then runs.
  const waiter = finished(startCli(['lock', lockPath, '--', 'sh', '-c', `test -f "${release}" && echo after`]));
  await new Promise((r) => setTimeout(r, 300));
  await writeFile(release, '');
  const waited = await waiter;
  assert.equal(waited.code, 0, waited.stderr);
  assert.equal(waited.stdout, 'after\n');
  assert.equal((await held).code, 0);
});

test('--shared locks do not exclude each other, but exclude an exclusive one', async () => {
  const dir = await tmpDir();
  const lockPath = join(dir, 'data');
  const [flag, release] = [join(dir, 'reading'), join(dir, 'release')];
  const reader = finished(startCli(['lock', lockPath, '--shared', '--', ...holdUntil(flag, release)]));
  await waitFor('the first shared lock', () => exists(flag));
  const second = await runCli(['lock', lockPath, '--shared', '--timeout', '200', '--', 'true']);
  assert.equal(second.code, 0, second.stderr);
  const writer = await runCli(['lock', lockPath, '--timeout', '100', '--', 'true']);
  assert.equal(writer.code, 1, 'an exclusive lock waits for the shared holder');
  assert.match(writer.stderr, /ELOCKED/);
  await writeFile(release, '');
  assert.equal((await reader).code, 0);
});
