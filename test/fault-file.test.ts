/**
 * Each disk call of each single-file operation fails in turn with EIO, ENOSPC, EACCES,
 * EMFILE (persistent, so that retries run out) and, on rename and link, EXDEV: the caller
 * gets an AtomicError with that code naming the path, the files are as before, nothing is
 * left behind, and the next operations on the path (write, lock) work.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cases } from './sim/cases.js';
import { injectFaults, faultTable, type FaultRow } from './sim/faults.js';
import { missing } from './sim/ops.js';

const rows: FaultRow[] = [];
after(() => console.log(`\nInjected faults, single-file operations:\n${faultTable(rows)}\n`));

for (const [needs, c] of cases) {
  test(`every disk call fails in turn: ${c.name}`, { skip: missing(...needs) }, async () => {
    const row = await injectFaults(c);
    rows.push(row);
    assert.ok(row.injected > 0);
    assert.deepEqual(row.problems.slice(0, 8), []);
  });
}
