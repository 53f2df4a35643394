/**
 * Metrics: the public calls publish start/end/error on node:diagnostics_channel
 * (`tracing:atomicfs:<operation>:*`), audit entries carry the call's duration, and
 * AuditLog.summary() reports rollback rates and p50/p95 durations per operation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tracingChannel } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { writeFile as fsWriteFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AuditLog,
  BackupStore,
  CHANNEL_PREFIX,
  copyFileSync,
  transaction,
  withTransaction,
  writeFile,
  writeFileSync,
  type TraceContext,
} from '../src/index.js';
import { percentile } from '../src/audit/audit-stats.js';
import { traced } from '../src/base/trace.js';
import { tmpDir } from './helpers/tmp.js';

interface Seen {
  event: string;
  ctx: TraceContext;
}

/** Subscribes to `operation`'s tracing channel while `fn` runs; the events it saw, in order. */
async function watch(operation: string, fn: () => Promise<unknown>): Promise<Seen[]> {
  const seen: Seen[] = [];
  const on =
    (event: string) =>
    (ctx: TraceContext): void =>
      void seen.push({ event, ctx: { ...ctx } });
  const handlers = {
    start: on('start'),
    end: on('end'),
    asyncStart: on('asyncStart'),
    asyncEnd: on('asyncEnd'),
    error: on('error'),
  };
  const ch = tracingChannel<unknown, TraceContext>(CHANNEL_PREFIX + operation);
  ch.subscribe(handlers);
  try {
    await fn();
  } finally {
    ch.unsubscribe(handlers);
  }
  return seen;
}

test('writeFile publishes start, end and asyncEnd with the path, duration and result', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'a.txt');
  const seen = await watch('writeFile', () => writeFile(target, 'hello', { sha256: true }));
  assert.deepEqual(
    seen.map((s) => s.event),
    ['start', 'end', 'asyncStart', 'asyncEnd'],
  );
  const first = seen[0]!.ctx;
  assert.equal(first.operation, 'writeFile');
  assert.equal(first.path, target);
  assert.equal(typeof first.startTime, 'number');
  const last = seen[3]!.ctx;
  assert.ok(typeof last.durationMs === 'number' && last.durationMs >= 0, 'the duration is set before asyncEnd');
  assert.equal((last.result as { bytes: number }).bytes, 5);
});

test('a failing call publishes error with the error, then asyncEnd', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'missing', 'a.txt');
  const seen = await watch('writeFile', () => assert.rejects(writeFile(target, 'x'), { code: 'ENOENT' }));
  assert.deepEqual(
    seen.map((s) => s.event),
    ['start', 'end', 'error', 'asyncStart', 'asyncEnd'],
  );
  assert.equal((seen[2]!.ctx.error as { code: string }).code, 'ENOENT');
  assert.equal(typeof seen[2]!.ctx.durationMs, 'number');
});

test('a transaction is traced at its commit, with its root, name and id; withTransaction as a whole', async () => {
  const dir = await tmpDir();
  const opened = await transaction({ root: dir, name: 'nightly sync' });
  opened.writeFile(join(dir, 'a.txt'), 'a');
  const seen = await watch('transaction', () => opened.commit());
  assert.deepEqual(
    seen.map((s) => s.event),
    ['start', 'end', 'asyncStart', 'asyncEnd'],
  );
  assert.equal(seen[0]!.ctx.root, dir);
  assert.equal(seen[0]!.ctx.name, 'nightly sync');
  assert.equal(seen[0]!.ctx.transactionId, opened.id);
  assert.equal(opened.state, 'committed');
  const whole = await watch('withTransaction', () =>
    withTransaction((tx) => void tx.writeFile(join(dir, 'b.txt'), 'b'), { root: dir }),
  );
  assert.deepEqual(
    whole.map((s) => s.event),
    ['start', 'end', 'asyncStart', 'asyncEnd'],
  );
  assert.equal(whole[0]!.ctx.root, dir);
});

test('BackupStore restore is traced, with the backup id', async () => {
  const dir = await tmpDir();
  const store = new BackupStore(join(dir, 'backups'));
  const target = join(dir, 'a.txt');
  await fsWriteFile(target, 'one');
  await writeFile(target, 'two', { backup: store });
  const [b] = await store.list();
  const seen = await watch('restore', () => store.restore(b!.id));
  assert.deepEqual(
    seen.map((s) => s.event),
    ['start', 'end', 'asyncStart', 'asyncEnd'],
  );
  assert.equal(seen[0]!.ctx.id, b!.id);
});

test('with no subscriber, a traced call builds no message at all', async () => {
  let described = 0;
  const fn = traced({ operation: 'metricsTestNobody', describe: () => ((described += 1), {}) }, async (x: number) =>
    Promise.resolve(x * 2),
  );
  assert.equal(await fn(21), 42);
  assert.equal(described, 0);
  const seen = await watch('metricsTestNobody', () => fn(1));
  assert.equal(described, 1);
  assert.equal(seen.length, 4);
});

test('synchronous calls are traced on channels of their own, with their arguments passed on whole, and their audit entries timed', async () => {
  const dir = await tmpDir();
  const a = join(dir, 'a.txt');
  const b = join(dir, 'b.txt');
  const log = new AuditLog(join(dir, 'audit.log'));
  const wrote = await watch('writeFileSync', () =>
    Promise.resolve(writeFileSync(a, 'hello', { audit: log, sha256: true })),
  );
  assert.deepEqual(
    wrote.map((s) => s.event),
    ['start', 'end'],
  );
  assert.equal(wrote[0]!.ctx.path, a);
  assert.equal(typeof wrote[1]!.ctx.durationMs, 'number');
  assert.equal((wrote[1]!.ctx.result as { sha256?: string }).sha256?.length, 64, 'the options reached the call');
  const copied = await watch('copyFileSync', () => Promise.resolve(copyFileSync(a, b, { audit: log })));
  assert.deepEqual([copied[0]!.ctx.path, copied[0]!.ctx.dest], [a, b]);
  assert.equal(readFileSync(b, 'utf8'), 'hello');
  // Nobody listening, and no audit hook: the call goes straight through, its arguments as given.
  writeFileSync(a, 'again', { encoding: 'latin1' });
  assert.equal(readFileSync(a, 'utf8'), 'again');
  const entries = await log.entries();
  assert.deepEqual(
    entries.map((e) => e.operation),
    ['writeFile', 'copyFile'],
  );
  for (const e of entries) assert.ok(typeof e.durationMs === 'number' && e.durationMs >= 0, `${e.operation} is timed`);
});

test('audit entries carry the duration of the call; summary() gives rollback rate and p50/p95 per operation', async () => {
  const dir = await tmpDir();
  const log = new AuditLog(join(dir, 'audit.log'));
  for (let i = 0; i < 5; i++) await writeFile(join(dir, `f${i}.txt`), `v${i}`, { audit: log });
  await withTransaction((tx) => void tx.writeFile(join(dir, 'g.txt'), 'g'), { root: dir, audit: log });
  const tx = await transaction({ root: dir, audit: log });
  tx.writeFile(join(dir, 'h.txt'), 'h');
  await tx.rollback();
  const entries = await log.entries();
  assert.equal(entries.length, 7);
  for (const e of entries)
    assert.ok(typeof e.durationMs === 'number' && e.durationMs >= 0, `entry ${e.seq} has a duration`);
  assert.equal((await log.verify()).ok, true, 'the duration is part of the hashed line');

  const s = await log.summary();
  const w = s.operations.writeFile!;
  assert.equal(w.entries, 5);
  assert.equal(w.timed, 5);
  const sorted = entries
    .slice(0, 5)
    .map((e) => e.durationMs!)
    .sort((a, b) => a - b);
  assert.equal(w.p50Ms, sorted[2]);
  assert.equal(w.p95Ms, sorted[4]);
  const t = s.operations.transaction!;
  assert.deepEqual([t.entries, t.ok, t.rolledBack, t.rollbackRate], [2, 1, 1, 0.5]);
  assert.equal(s.rollbackRate, 1 / 7);
});

test('entries without a duration (older logs) are counted but not timed', async () => {
  const dir = await tmpDir();
  const log = new AuditLog(join(dir, 'audit.log'));
  await log.record({ operation: 'writeFile', outcome: 'ok', files: [] });
  await log.record({ operation: 'writeFile', outcome: 'ok', files: [], durationMs: 4 });
  const s = await log.summary();
  assert.deepEqual(s.operations.writeFile, {
    entries: 2,
    ok: 2,
    rolledBack: 0,
    failed: 0,
    rollbackRate: 0,
    timed: 1,
    p50Ms: 4,
    p95Ms: 4,
    maxMs: 4,
  });
});

test('percentile is nearest-rank', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 95), 95);
  assert.equal(percentile([7], 95), 7);
  assert.equal(percentile([1, 2, 3], 50), 2);
  assert.equal(percentile([1, 2], 95), 2);
});
