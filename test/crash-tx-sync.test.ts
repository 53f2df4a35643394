/**
 * The transaction crash exploration (crash-tx.test.ts) with the synchronous calls: each
 * case committed by tx.commitSync() and recovered by recoverSync(), on the simulated disk
 * driven through its synchronous twins. After a cut at every call, in every explored
 * crash state, every file is old or every file is new, nothing is left, and a recovery
 * cut short reaches the same answer when run again.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Disk } from '../src/index.js';
import { explore, describeViolation, table, type ExploreResult } from './sim/explore.js';
import { exploreOptions } from './sim/options.js';
import { missing, need } from './sim/ops.js';
import { ROOT, txScenario } from './sim/tx.js';
import { commitWay, txCases } from './sim/tx-cases.js';

const results: ExploreResult[] = [];
before(() => (commitWay.sync = true));
after(() => {
  commitWay.sync = false;
  if (results.length > 0)
    console.log(`\nTransactions, committed and recovered synchronously, simulated power cuts:\n${table(results)}\n`);
});

function recoverSyncAfterCut(disk: Disk): Promise<unknown> {
  // Synchronous: it returns (or throws) before this promise is made.
  return Promise.resolve(need('recoverSync')(ROOT, { disk }));
}

for (const [needs, c] of txCases) {
  if (!needs.includes('transaction')) continue; // guard runs the caller's async code: no sync form
  const skip = missing(...needs, 'recoverSync');
  test(`sync: crash after every disk call of commitSync, then recoverSync: ${c.name}`, { skip }, async () => {
    const scenario = await txScenario(c);
    const r = await explore({ ...scenario, name: `${c.name} (sync)`, recover: recoverSyncAfterCut }, exploreOptions());
    results.push(r);
    assert.ok(r.calls > 0);
    assert.deepEqual(r.violations.slice(0, 5).map(describeViolation), []);
  });
}
