/**
 * Every single-file operation, crashed after each of its disk calls, in every explored
 * crash state: each file is old or new (never a mix, never empty or torn), new if the call
 * had resolved, and only temporary files that cleanupTemps recognises may remain.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { explore, describeViolation, table, type ExploreResult } from './sim/explore.js';
import { singleScenario } from './sim/single.js';
import { cases } from './sim/cases.js';
import { exploreOptions } from './sim/options.js';
import { missing } from './sim/ops.js';

const results: ExploreResult[] = [];
after(() => console.log(`\nSingle-file operations, simulated power cuts:\n${table(results)}\n`));

for (const [needs, c] of cases) {
  test(`crash after every disk call: ${c.name}`, { skip: missing(...needs) }, async () => {
    const r = await explore(await singleScenario(c), exploreOptions());
    results.push(r);
    assert.ok(r.calls > 0, 'the operation made disk calls');
    assert.deepEqual(r.violations.slice(0, 5).map(describeViolation), []);
  });
}
