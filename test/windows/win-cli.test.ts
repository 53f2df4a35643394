/**
 * Windows, for real (under Wine, `npm run test:windows`): the command with Windows paths:
 * write from stdin, a plan applied as a transaction (paths with both separators), recover,
 * sha256, lock around a command, and a usage error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonOf, runCli } from '../helpers/cli-run.js';
import { tmpDir } from '../helpers/tmp.js';

test('write from stdin, sha256, and a plan over paths with both separators', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'out.txt');
  const w = await runCli(['write', target, '--json'], { input: 'hello\r\n' });
  assert.equal(w.code, 0, w.stderr);
  assert.equal(readFileSync(target, 'utf8'), 'hello\r\n');
  assert.equal(jsonOf(w).ok, true);
  const h = await runCli(['sha256', target.replaceAll('\\', '/')]);
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /^[0-9a-f]{64}\b/);
  mkdirSync(join(dir, 'www'));
  const plan = join(dir, 'plan.json');
  writeFileSync(
    plan,
    JSON.stringify({
      operations: [
        { op: 'write', path: 'www\\index.html', content: 'index' },
        { op: 'write', path: 'www/about.html', content: 'about' },
        { op: 'delete', path: 'OUT.TXT' },
      ],
    }),
  );
  const a = await runCli(['apply', plan, '--root', dir, '--json']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal((jsonOf(a).changed as string[]).length, 3);
  assert.equal(readFileSync(join(dir, 'www', 'index.html'), 'utf8'), 'index');
  assert.equal(readFileSync(join(dir, 'www', 'about.html'), 'utf8'), 'about');
  assert.deepEqual(readdirSync(dir).sort(), ['.atomicfs', 'plan.json', 'www']);
  const r = await runCli(['recover', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(jsonOf(r).report, { rolledBack: 0, rolledForward: 0, tempsRemoved: 0 });
});

test('lock runs a command under the lock and exits with its status', async () => {
  const dir = await tmpDir();
  const r = await runCli(['lock', join(dir, 'l.txt'), '--', process.execPath, '-e', 'process.exit(7)']);
  assert.equal(r.code, 7, r.stderr);
  assert.deepEqual(readdirSync(dir), [], 'the lock is gone after the command');
});

test('a usage error exits 2 and says what is wrong', async () => {
  const r = await runCli(['write']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /path/i);
});
