/**
 * Transactions and guard, crashed after each disk call, in every explored crash state,
 * then recovered: all files old or all new (new if the commit resolved), nothing staged
 * or temporary left, journal gone; and recovery crashed at each of its own calls, then
 * run again, reaches the same answer.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { explore, describeViolation, table, type ExploreResult } from './sim/explore.js';
import { exploreOptions } from './sim/options.js';
import { missing } from './sim/ops.js';
import { txScenario } from './sim/tx.js';
import { txCases } from './sim/tx-cases.js';

const results: ExploreResult[] = [];
after(() => console.log(`\nTransactions and guard, simulated power cuts and recovery:\n${table(results)}\n`));

for (const [needs, c] of txCases) {
  test(`crash after every disk call, then recover: ${c.name}`, { skip: missing(...needs) }, async () => {
    const r = await explore(await txScenario(c), exploreOptions());
    results.push(r);
    assert.ok(r.calls > 0);
    assert.deepEqual(r.violations.slice(0, 5).map(describeViolation), []);
  });
}
