/** AuditLog.verify() against each kind of tampering: it finds the line and says what happened. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { AuditLog } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';
import { linesOfLog, reseal, writeLines } from './helpers/audit-lines.js';

/** A log with a header and `n` entries; resolves to its path and lines. */
async function makeLog(n: number): Promise<{ log: AuditLog; file: string; lines: string[] }> {
  const file = join(await tmpDir(), 'audit.log');
  const log = new AuditLog(file);
  for (let i = 0; i < n; i++) {
    await log.record({
      operation: `op${i + 1}`,
      outcome: 'ok',
      files: [{ path: `/f/${i + 1}`, before: null, after: 'a'.repeat(64), size: i + 1 }],
    });
  }
  const lines = await linesOfLog(file);
  assert.equal(lines.length, n + 1);
  return { log, file, lines };
}

test('an intact log verifies', async () => {
  const { log } = await makeLog(5);
  assert.deepEqual({ ...(await log.verify()), head: undefined }, { ok: true, entries: 5, head: undefined });
});

test('an edited line is found at that line', async () => {
  const { log, file, lines } = await makeLog(5);
  lines[3] = lines[3]!.replace('"size":3', '"size":3000');
  await writeLines(file, lines);
  const v = await log.verify();
  assert.equal(v.ok, false);
  assert.equal(v.reason, 'edited');
  assert.equal(v.brokenAt, 4);
});

test('an edited line whose own hash was recomputed is still found (the next line holds the old hash)', async () => {
  const { log, file, lines } = await makeLog(5);
  lines[2] = reseal(lines[2]!.replace('"op2"', '"op9"'));
  await writeLines(file, lines);
  const v = await log.verify();
  assert.equal(v.reason, 'edited');
  assert.equal(v.brokenAt, 3);
});

test('a removed line is found where the gap is', async () => {
  const { log, file, lines } = await makeLog(5);
  lines.splice(2, 1); // entry 2
  await writeLines(file, lines);
  const v = await log.verify();
  assert.equal(v.reason, 'removed');
  assert.equal(v.brokenAt, 3);
  assert.match(v.message ?? '', /entries 2\.\.2 were removed/);
});

test('an inserted copy of an earlier line is found', async () => {
  const { log, file, lines } = await makeLog(5);
  lines.splice(4, 0, lines[2]!); // entry 2 again, after entry 3
  await writeLines(file, lines);
  const v = await log.verify();
  assert.equal(v.reason, 'inserted');
  assert.equal(v.brokenAt, 5);
});

test('an inserted foreign line is found', async () => {
  const { log, file, lines } = await makeLog(5);
  const forged = reseal(lines[3]!.replace('"seq":3', '"seq":77'));
  lines.splice(3, 0, forged);
  await writeLines(file, lines);
  const v = await log.verify();
  assert.equal(v.reason, 'inserted');
  assert.equal(v.brokenAt, 4);
});

test('reordered lines are found', async () => {
  const { log, file, lines } = await makeLog(5);
  [lines[2], lines[3]] = [lines[3]!, lines[2]!];
  await writeLines(file, lines);
  const v = await log.verify();
  assert.equal(v.reason, 'reordered');
  assert.equal(v.brokenAt, 3);
});

test('a line that is not an audit line is reported as malformed', async () => {
  const { log, file, lines } = await makeLog(3);
  lines[2] = 'garbage';
  await writeLines(file, lines);
  const v = await log.verify();
  assert.equal(v.reason, 'malformed');
  assert.equal(v.brokenAt, 3);
  // Appending stays possible after a bad middle line (the chain continues from the last line).
  await log.record({ operation: 'later', outcome: 'ok', files: [] });
});

test('a removed header is reported', async () => {
  const { log, file, lines } = await makeLog(2);
  await writeLines(file, lines.slice(1));
  const v = await log.verify();
  assert.equal(v.ok, false);
  assert.equal(v.brokenAt, 1);
  assert.equal(v.reason, 'removed');
});

test('property: any single tampering of a middle line is detected at or next to it', async () => {
  const { file, lines: original } = await makeLog(8);
  const log = new AuditLog(file);
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 7 }),
      fc.constantFrom('edit', 'remove', 'duplicate', 'swap'),
      async (i, kind) => {
        const lines = [...original];
        if (kind === 'edit') lines[i] = lines[i]!.replace('"ok"', '"failed"');
        if (kind === 'remove') lines.splice(i, 1);
        if (kind === 'duplicate') lines.splice(i + 1, 0, lines[i]!);
        if (kind === 'swap') [lines[i], lines[i + 1]] = [lines[i + 1]!, lines[i]!];
        await writeLines(file, lines);
        const v = await log.verify();
        assert.equal(v.ok, false);
        const expected = { edit: 'edited', remove: 'removed', duplicate: 'inserted', swap: 'reordered' }[kind];
        assert.equal(v.reason, expected);
        assert.ok(
          v.brokenAt !== undefined && Math.abs(v.brokenAt - (i + 1)) <= 1,
          `${kind} at ${i + 1}, reported ${v.brokenAt}`,
        );
      },
    ),
    { numRuns: 40 },
  );
});
