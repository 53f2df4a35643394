/**
 * The synchronous single-file calls (writeFileSync, createFileSync, deleteFileSync,
 * copyFileSync, moveFileSync, writeJsonSync, updateJsonSync) under the same simulated power cuts and injected faults as
 * their asynchronous forms (crash-file, fault-file): crashed after each disk call, every
 * explored crash state holds each file old or new, new once the call returned; each disk
 * call failing in turn leaves the files as before, nothing behind, and an error naming the path.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { explore, describeViolation, table, type ExploreResult } from './sim/explore.js';
import { singleScenario } from './sim/single.js';
import { syncCases, unmatchedSyncNames } from './sim/sync-cases.js';
import { injectFaults, faultTable, type FaultRow } from './sim/faults.js';
import { exploreOptions } from './sim/options.js';
import { missing } from './sim/ops.js';

const results: ExploreResult[] = [];
const rows: FaultRow[] = [];
after(() => {
  console.log(`\nSynchronous single-file calls, simulated power cuts:\n${table(results)}\n`);
  console.log(`\nInjected faults, synchronous single-file calls:\n${faultTable(rows)}\n`);
});

test('every synchronous case names an asynchronous one', () => {
  assert.deepEqual(unmatchedSyncNames, []);
  assert.ok(syncCases.length >= 10);
});

for (const [needs, c] of syncCases) {
  test(`crash after every disk call: ${c.name}`, { skip: missing(...needs) }, async () => {
    const r = await explore(await singleScenario(c), exploreOptions());
    results.push(r);
    assert.ok(r.calls > 0, 'the operation made disk calls');
    assert.deepEqual(r.violations.slice(0, 5).map(describeViolation), []);
  });

  test(`every disk call fails in turn: ${c.name}`, { skip: missing(...needs) }, async () => {
    const row = await injectFaults(c);
    rows.push(row);
    assert.ok(row.injected > 0);
    assert.deepEqual(row.problems.slice(0, 8), []);
  });
}
