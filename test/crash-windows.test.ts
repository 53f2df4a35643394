/**
 * The crash exploration under Windows's rules (the simulated disk's `platform:
 * 'windows'`): no folder can be synced, and NTFS's metadata journal keeps a prefix of
 * the entry changes in issue order. Every single-file operation and every transaction
 * shape is crashed after each disk call: files old or new, never a mix; a transaction's
 * files all old or all new after recovery; nothing left behind. What it cannot promise
 * there, and so does not check: that a call which resolved is already durable.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { explore, describeViolation, table, type ExploreResult } from './sim/explore.js';
import { singleScenario } from './sim/single.js';
import { cases } from './sim/cases.js';
import { exploreOptions } from './sim/options.js';
import { missing } from './sim/ops.js';
import { txScenario } from './sim/tx.js';
import { txCases } from './sim/tx-cases.js';

const results: ExploreResult[] = [];
after(() =>
  console.log(
    `\nUnder Windows's rules (no folder sync; NTFS keeps entry changes in order), simulated power cuts:\n${table(results)}\n`,
  ),
);

const windows = { ...exploreOptions(), platform: 'windows' as const };

for (const [needs, c] of cases) {
  test(`Windows rules, crash after every disk call: ${c.name}`, { skip: missing(...needs) }, async () => {
    const r = await explore(await singleScenario(c), windows);
    results.push({ ...r, name: `${r.name} (Windows)` });
    assert.ok(r.calls > 0, 'the operation made disk calls');
    assert.deepEqual(r.violations.slice(0, 5).map(describeViolation), []);
  });
}

for (const [needs, c] of txCases) {
  test(`Windows rules, crash after every disk call, then recover: ${c.name}`, { skip: missing(...needs) }, async () => {
    const r = await explore(await txScenario(c), windows);
    results.push({ ...r, name: `${r.name} (Windows)` });
    assert.ok(r.calls > 0);
    assert.deepEqual(r.violations.slice(0, 5).map(describeViolation), []);
  });
}
