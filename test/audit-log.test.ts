/** AuditLog: round trips, filters, summary, hooks from writes, and clear errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readdir, readFile, writeFile as fsWriteFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditLog, transaction, writeFile } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';
import { linesOfLog } from './helpers/audit-lines.js';

const H = (c: string): string => c.repeat(64);

test('records from writeFile land in the log with hashes before and after', async () => {
  const dir = await tmpDir();
  const log = new AuditLog(join(dir, 'audit.log'));
  const target = join(dir, 'a.txt');
  const first = await writeFile(target, 'one', { audit: log, sha256: true });
  const second = await writeFile(target, 'two!', { audit: log, sha256: true });
  const entries = await log.entries();
  assert.equal(entries.length, 2);
  assert.deepEqual(
    entries.map((e) => e.seq),
    [1, 2],
  );
  assert.equal(entries[0]!.operation, 'writeFile');
  assert.equal(entries[0]!.outcome, 'ok');
  assert.deepEqual(entries[0]!.files, [{ path: target, before: null, after: first.sha256, size: 3 }]);
  assert.deepEqual(entries[1]!.files, [{ path: target, before: first.sha256, after: second.sha256, size: 4 }]);
  assert.equal(entries[1]!.pid, process.pid);
  assert.equal(typeof entries[1]!.host, 'string');
  assert.ok(!Number.isNaN(Date.parse(entries[1]!.time)));
  const v = await log.verify();
  assert.equal(v.ok, true);
  assert.equal(v.entries, 2);
  assert.match(v.head ?? '', /^[0-9a-f]{64}$/);
});

test('a failed write is recorded as failed', async () => {
  const dir = await tmpDir();
  const log = new AuditLog(join(dir, 'audit.log'));
  await assert.rejects(writeFile(join(dir, 'missing-dir', 'x'), 'x', { audit: log }), { code: 'ENOENT' });
  const [e] = await log.entries();
  assert.equal(e?.outcome, 'failed');
  assert.match(e?.error ?? '', /ENOENT/);
});

test('entries() filters by path, time range, outcome and operation; summary() counts', async () => {
  const dir = await tmpDir();
  const log = new AuditLog(join(dir, 'audit.log'));
  await log.record({
    operation: 'writeFile',
    outcome: 'ok',
    files: [{ path: '/v/notes/a.md', before: null, after: H('a'), size: 10 }],
  });
  await log.record({
    operation: 'transaction',
    outcome: 'ok',
    transactionId: 't1',
    files: [
      { path: '/v/notes/b.md', before: H('1'), after: H('b'), size: 20 },
      { path: '/v/other/c.md', before: H('2'), after: null, size: 0 },
    ],
  });
  // Entry times have millisecond resolution and `since`/`until` include their bound: mid
  // must lie strictly between the entries' times, so it is taken 5 ms after and before.
  await new Promise((r) => setTimeout(r, 5));
  const mid = new Date();
  await new Promise((r) => setTimeout(r, 5));
  await log.record({
    operation: 'transaction',
    outcome: 'rolled-back',
    transactionId: 't2',
    error: 'EIO: boom',
    files: [{ path: '/v/notes/a.md', before: H('a'), after: null, size: 0 }],
  });
  await log.record({
    operation: 'deleteFile',
    outcome: 'failed',
    error: 'ENOENT: gone',
    files: [{ path: '/v/x', before: null, after: null, size: 0 }],
  });

  assert.equal((await log.entries({ path: '/v/notes' })).length, 3);
  assert.equal((await log.entries({ path: '/v/notes/a.md' })).length, 2);
  assert.equal((await log.entries({ path: '/v/note' })).length, 0, 'a path prefix is not a folder');
  assert.deepEqual(
    (await log.entries({ outcome: 'rolled-back' })).map((e) => e.transactionId),
    ['t2'],
  );
  assert.deepEqual(
    (await log.entries({ until: mid })).map((e) => e.seq),
    [1, 2],
  );
  assert.deepEqual(
    (await log.entries({ since: mid.toISOString() })).map((e) => e.seq),
    [3, 4],
  );
  assert.deepEqual(
    (await log.entries({ operation: 'transaction' })).map((e) => e.seq),
    [2, 3],
  );
  await assert.rejects(log.entries({ since: 'not a time' }), { code: 'EINVAL' });

  const s = await log.summary();
  assert.equal(s.entries, 4);
  assert.deepEqual(s.byOperation, { writeFile: 1, transaction: 2, deleteFile: 1 });
  assert.deepEqual(s.byOutcome, { ok: 2, 'rolled-back': 1, failed: 1 });
  assert.equal(s.bytesWritten, 30, 'sizes of files that exist after successful changes');
  assert.deepEqual(
    s.failures.map((e) => e.seq),
    [3, 4],
  );
});

test('a file that is not an audit log is refused with a clear error and left unchanged', async () => {
  const dir = await tmpDir();
  const file = join(dir, 'notes.txt');
  await fsWriteFile(file, 'dear diary\nnothing to see\n');
  const log = new AuditLog(file);
  for (const call of [
    () => log.record({ operation: 'x', outcome: 'ok', files: [] }),
    () => log.entries(),
    () => log.verify(),
    () => log.summary(),
  ]) {
    await assert.rejects(call(), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ENOTAUDITLOG');
      assert.match(err.message, /notes\.txt: not an atomicfs audit log/);
      return true;
    });
  }
  assert.equal(await readFile(file, 'utf8'), 'dear diary\nnothing to see\n');
  // A JSON-lines file of someone else's is not ours either.
  await fsWriteFile(file, '{"a":1}\n');
  await assert.rejects(log.record({ operation: 'x', outcome: 'ok', files: [] }), { code: 'ENOTAUDITLOG' });
  assert.equal(await readFile(file, 'utf8'), '{"a":1}\n');
});

test('a missing log reads as ENOENT; bad constructor arguments are EINVAL', async () => {
  const dir = await tmpDir();
  await assert.rejects(new AuditLog(join(dir, 'none.log')).entries(), { code: 'ENOENT' });
  assert.throws(() => new AuditLog(''), { code: 'EINVAL' });
});

test('an append cut short by a crash (no newline) is dropped before the next entry', async () => {
  const dir = await tmpDir();
  const file = join(dir, 'audit.log');
  const log = new AuditLog(file);
  await log.record({ operation: 'a', outcome: 'ok', files: [] });
  await appendFile(file, '{"seq":2,"time":"2026-01-01T00:00:00.000Z","oper');
  assert.equal((await log.entries()).length, 1, 'the torn tail is not an entry');
  await log.record({ operation: 'b', outcome: 'ok', files: [] });
  const lines = await linesOfLog(file);
  assert.equal(lines.length, 3);
  assert.deepEqual(
    (await log.entries()).map((e) => [e.seq, e.operation]),
    [
      [1, 'a'],
      [2, 'b'],
    ],
  );
  assert.equal((await log.verify()).ok, true);
});

test('a transaction that fails is recorded as rolled back, with its transaction id', async () => {
  const dir = await tmpDir();
  const log = new AuditLog(join(dir, 'audit.log'));
  await fsWriteFile(join(dir, 'exists.txt'), 'x');
  const tx = await transaction({ root: dir, audit: log });
  tx.writeFile(join(dir, 'a.txt'), 'a').createFile(join(dir, 'exists.txt'), 'clobber?');
  await assert.rejects(tx.commit(), { code: 'ETXFAILED' });
  const [e] = await log.entries();
  assert.equal(e?.operation, 'transaction');
  assert.equal(e?.outcome, 'rolled-back');
  assert.equal(e?.transactionId, tx.id);
  assert.match(e?.error ?? '', /EEXIST/);
  assert.equal((await log.summary()).bytesWritten, 0);
});

test('garbage left by a torn append (even holding newlines) is cut off before the next entry', async () => {
  const dir = await tmpDir();
  const file = join(dir, 'audit.log');
  const log = new AuditLog(file);
  await log.record({ operation: 'a', outcome: 'ok', files: [] });
  const good = await readFile(file);
  // A prefix of a line, then garbage with newlines in it (as a torn write can leave).
  await appendFile(file, Buffer.concat([Buffer.from('{"seq":2,"ti'), Buffer.from([0xa5, 0x0a, 0x00, 0x0a, 0x13])]));
  await log.record({ operation: 'b', outcome: 'ok', files: [] });
  const after = await readFile(file);
  assert.deepEqual(after.subarray(0, good.length), good, 'the acknowledged lines are untouched');
  assert.deepEqual(
    (await log.entries()).map((e) => [e.seq, e.operation]),
    [
      [1, 'a'],
      [2, 'b'],
    ],
  );
  assert.equal((await log.verify()).ok, true);
});

test('a new log appears complete or not at all (written aside, then linked into place)', async () => {
  const dir = await tmpDir();
  const file = join(dir, 'audit.log');
  await new AuditLog(file).record({ operation: 'first', outcome: 'ok', files: [] });
  assert.deepEqual(
    (await readdir(dir)).filter((n) => n !== 'audit.log'),
    [],
    'no temporary left',
  );
  assert.equal((await linesOfLog(file)).length, 2);
  // An empty file made by someone else becomes a log.
  const empty = join(dir, 'empty.log');
  await fsWriteFile(empty, '');
  await new AuditLog(empty).record({ operation: 'x', outcome: 'ok', files: [] });
  assert.equal((await new AuditLog(empty).verify()).entries, 1);
});
