/**
 * Sequences of two or three operations, and concurrent writers through group commit,
 * crashed after each disk call in every explored crash state, then recovered: the files
 * are as after the steps that resolved (or the one in progress), never older; nothing is
 * left behind. Run on the default simulated disk, and on one whose calls in flight
 * together land in any order (each seed one order).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { explore, describeViolation, table, type ExploreResult } from './sim/explore.js';
import { exploreOptions } from './sim/options.js';
import { missing } from './sim/ops.js';
import { seqCases, seqScenario, writersCase, type SeqCase } from './sim/sequences.js';
import { inFlightSeeds, merged } from './sim/in-flight.js';
import { sizeFromEnv } from './helpers/tmp.js';

const results: ExploreResult[] = [];
after(() =>
  console.log(
    `\nSequences of operations and concurrent writers, simulated power cuts and recovery:\n${table(results)}\n`,
  ),
);

const cases: SeqCase[] = [...seqCases, writersCase(sizeFromEnv('ATOMICFS_CRASH_WRITERS', 4))];

for (const c of cases) {
  test(
    `crash after every disk call of a sequence, then recover: ${c.name}`,
    { skip: missing('transaction', 'recover', 'cleanupTemps', 'rotateFile') },
    async () => {
      const r = await explore(await seqScenario(c), exploreOptions());
      results.push(r);
      assert.ok(r.calls > 0);
      assert.deepEqual(r.violations.slice(0, 5).map(describeViolation), []);
    },
  );
  test(
    `the same, calls in flight landing in any order: ${c.name}`,
    { skip: missing('transaction', 'recover', 'cleanupTemps', 'rotateFile') },
    async () => {
      const runs: ExploreResult[] = [];
      // Concurrent writers are cheap to explore, and a writer arriving while a directory
      // sync runs needs one of the rarer orders: four times as many of them.
      for (const seed of inFlightSeeds(c.concurrent ? 4 : 1))
        runs.push(await explore(await seqScenario(c, seed), exploreOptions()));
      const r = merged(runs);
      results.push(r);
      assert.deepEqual(r.violations.slice(0, 5).map(describeViolation), []);
    },
  );
}
