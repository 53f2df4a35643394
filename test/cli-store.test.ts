/** `--backup-dir` and `--audit` on writes, then `backups list|restore|verify|prune` and `audit show|verify|summary`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonOf, runCli } from './helpers/cli-run.js';
import { tmpDir } from './helpers/tmp.js';

interface Listed {
  id: string;
  operation: string;
  files: { path: string }[];
}

test('writes keep backups; list (table and --json), restore, verify and prune them', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'config.txt');
  const bk = join(dir, 'backups');
  await writeFile(target, 'v1\n');
  for (const v of ['v2\n', 'v3\n']) {
    const w = await runCli(['write', target, '--backup-dir', bk], { input: v });
    assert.equal(w.code, 0, w.stderr);
  }
  const table = await runCli(['backups', 'list', '--backup-dir', bk]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^ID\s+TIME\s+OPERATION\s+CHANGED\s+CREATED\s+DELETED\s+NAME\n-+/);
  assert.equal(table.stdout.trim().split('\n').length, 4, table.stdout);
  assert.ok(!table.stdout.includes('\u001b'), 'no escape codes off a terminal');

  const listed = await runCli(['backups', 'list', '--backup-dir', bk, '--json']);
  const backups = jsonOf(listed).backups as Listed[];
  assert.equal(backups.length, 2);
  assert.equal(backups[0]?.operation, 'writeFile');
  assert.deepEqual(
    backups[0]?.files.map((f) => f.path),
    [target],
  );
  const oldest = backups[1]!.id; // newest first: the oldest holds v1

  const verified = await runCli(['backups', 'verify', oldest, '--backup-dir', bk, '--json']);
  assert.equal(verified.code, 0, verified.stderr);
  assert.equal(jsonOf(verified).ok, true);

  const restored = await runCli(['backups', 'restore', oldest, '--backup-dir', bk, '--keep-current', '--json']);
  assert.equal(restored.code, 0, restored.stderr);
  assert.deepEqual(jsonOf(restored).restored, [target]);
  assert.equal(await readFile(target, 'utf8'), 'v1\n');

  const missing = await runCli(['backups', 'restore', 'no-such-backup', '--backup-dir', bk]);
  assert.equal(missing.code, 1);
  assert.equal(await readFile(target, 'utf8'), 'v1\n');

  const pruned = await runCli(['backups', 'prune', '--backup-dir', bk, '--keep', '1', '--json']);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.equal((jsonOf(pruned).removed as string[]).length, 2, 'three backups (one from --keep-current), keep 1');
  const after = await runCli(['backups', 'list', '--backup-dir', bk, '--json']);
  assert.equal((jsonOf(after).backups as Listed[]).length, 1);
});

test('writes are recorded; audit show, summary (table and --json) and verify, which finds an edit', async () => {
  const dir = await tmpDir();
  const log = join(dir, 'audit.log');
  const a = join(dir, 'a.txt');
  assert.equal((await runCli(['write', a, '--audit', log], { input: 'one' })).code, 0);
  assert.equal((await runCli(['create', a, '--audit', log], { input: 'two' })).code, 1);
  assert.equal((await runCli(['cp', a, join(dir, 'b.txt'), '--audit', log])).code, 0);

  const shown = await runCli(['audit', 'show', '--audit', log, '--json']);
  assert.equal(shown.code, 0, shown.stderr);
  const entries = jsonOf(shown).entries as { operation: string; outcome: string }[];
  assert.deepEqual(
    entries.map((e) => [e.operation, e.outcome]),
    [
      ['writeFile', 'ok'],
      ['createFile', 'failed'],
      ['copyFile', 'ok'],
    ],
  );
  const failedOnly = await runCli(['audit', 'show', '--audit', log, '--outcome', 'failed']);
  assert.match(
    failedOnly.stdout,
    /^SEQ\s+TIME\s+OPERATION\s+OUTCOME\s+CHANGED\s+CREATED\s+DELETED\s+DURATION\s+NAME\n-+.*\n2\s+\S+\s+createFile\s+failed\s+1\s+0\s+0\s+[\d.]+ m?s\n?$/,
  );

  const summary = await runCli(['audit', 'summary', '--audit', log]);
  assert.equal(summary.code, 0, summary.stderr);
  assert.match(summary.stdout, /^3 entries, .*; 1 not ok; 0% rolled back/);
  assert.match(
    summary.stdout,
    /OPERATION\s+ENTRIES\s+OK\s+ROLLED-BACK\s+FAILED\s+ROLLBACK%\s+P50\s+P95\n[- ]+\nwriteFile\s+1\s+1\s+0\s+0\s+0%\s+[\d.]+ m?s\s+[\d.]+ m?s\n/,
  );
  const sj = jsonOf(await runCli(['audit', 'summary', '--audit', log, '--json']));
  assert.deepEqual((sj.summary as { byOutcome: object }).byOutcome, { ok: 2, failed: 1 });
  const ops = (
    sj.summary as { operations: Record<string, { entries: number; failed: number; p50Ms?: number; p95Ms?: number }> }
  ).operations;
  assert.deepEqual([ops.createFile?.entries, ops.createFile?.failed], [1, 1]);
  assert.equal(typeof ops.writeFile?.p95Ms, 'number', "the command's writes are timed in the audit log");

  const good = await runCli(['audit', 'verify', '--audit', log, '--json']);
  assert.equal(good.code, 0, good.stderr);
  assert.equal(jsonOf(good).entries, 3);

  const text = await readFile(log, 'utf8');
  await writeFile(log, text.replace('"outcome":"failed"', '"outcome":"ok"'));
  const bad = await runCli(['audit', 'verify', '--audit', log, '--json']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /EINTEGRITY.*hash chain is broken at line 3/);
  assert.equal((jsonOf(bad).error as { code: string }).code, 'EINTEGRITY');
});
