/**
 * The single-file operations and the transactions of crash-file and crash-tx, on a
 * simulated disk whose calls in flight together land in any order (several seeded
 * orders), each sync covering only what had landed when it started: a call that is not
 * awaited before the next depends on it (an fsync issued while a write is in flight)
 * shows up as a lost update here, where the default disk applies every call at once.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { explore, describeViolation, table, type ExploreResult } from './sim/explore.js';
import { singleScenario } from './sim/single.js';
import { cases } from './sim/cases.js';
import { txScenario } from './sim/tx.js';
import { txCases } from './sim/tx-cases.js';
import { exploreOptions } from './sim/options.js';
import { missing } from './sim/ops.js';
import { inFlightSeeds, merged } from './sim/in-flight.js';
import type { Scenario } from './sim/explore.js';

const results: ExploreResult[] = [];
after(() => console.log(`\nCalls in flight landing in any order, simulated power cuts:\n${table(results)}\n`));

async function exploreOrders(make: () => Promise<Scenario>, times = 1): Promise<ExploreResult> {
  const runs: ExploreResult[] = [];
  for (const seed of inFlightSeeds(times))
    runs.push(await explore({ ...(await make()), inFlightSeed: seed }, exploreOptions()));
  return merged(runs);
}

for (const [needs, c] of cases) {
  test(`calls landing in any order, crash after each: ${c.name}`, { skip: missing(...needs) }, async () => {
    const r = await exploreOrders(() => singleScenario(c));
    results.push(r);
    assert.deepEqual(r.violations.slice(0, 5).map(describeViolation), []);
  });
}

for (const [needs, c] of txCases) {
  test(
    `calls landing in any order, crash after each, then recover: ${c.name}`,
    { skip: missing(...needs) },
    async () => {
      // Transactions cost ten times a single write to explore: half as many orders.
      const r = await exploreOrders(() => txScenario(c), 0.5);
      results.push(r);
      assert.deepEqual(r.violations.slice(0, 5).map(describeViolation), []);
    },
  );
}
