/**
 * Appends from several real processes at once: every line whole, none lost, the chain
 * intact. Size: AUDIT_PROCS processes × AUDIT_APPENDS entries each (default 4 × 25).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AuditLog } from '../src/index.js';
import { tmpDir, sizeFromEnv } from './helpers/tmp.js';
import { childScript, run } from './helpers/child.js';
import { linesOfLog } from './helpers/audit-lines.js';

const PROCS = sizeFromEnv('AUDIT_PROCS', 4);
const APPENDS = sizeFromEnv('AUDIT_APPENDS', 25);

test('concurrent appends from several processes: no lost, torn or interleaved line', async () => {
  const dir = await tmpDir();
  const file = join(dir, 'audit.log');
  // Each child also appends from several async callers at once (the in-process queue).
  const script = await childScript(
    dir,
    'appender.mjs',
    `
    const [file, who, n] = process.argv.slice(2);
    const log = new atomicfs.AuditLog(file);
    const long = 'x'.repeat(3000); // long lines: a torn or interleaved write would show
    await Promise.all(Array.from({ length: Number(n) }, (_, i) =>
      log.record({ operation: 'child', outcome: 'ok', files: [{ path: '/w/' + who + '/' + i + '/' + long, before: null, after: null, size: i }] })));
  `,
  );
  const children = Array.from({ length: PROCS }, (_, p) => run(script, [file, `p${p}`, String(APPENDS)]));
  for (const c of children) {
    const r = await c.done;
    assert.equal(r.code, 0, r.stderr);
  }
  const lines = await linesOfLog(file);
  assert.equal(lines.length, 1 + PROCS * APPENDS);
  const log = new AuditLog(file);
  const v = await log.verify();
  assert.equal(v.ok, true, v.message);
  const entries = await log.entries();
  assert.deepEqual(
    entries.map((e) => e.seq),
    entries.map((_, i) => i + 1),
  );
  const seen = new Set(entries.map((e) => e.files[0]!.path.split('/').slice(2, 4).join('/')));
  for (let p = 0; p < PROCS; p++)
    for (let i = 0; i < APPENDS; i++) assert.ok(seen.has(`p${p}/${i}`), `p${p}/${i} lost`);
  assert.equal(new Set(entries.map((e) => e.pid)).size, PROCS);
});
