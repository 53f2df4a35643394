/**
 * The simulator is faithful only if it breaks what is known to be broken: a plain
 * overwrite, a rename without a file sync, and a rename without a directory sync must
 * each lose data in some crash state. (These tests assert that a violation IS found.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Disk } from '../src/index.js';
import { need, missing } from './sim/ops.js';
import { explore, describeViolation, table, type ExploreResult, type Scenario } from './sim/explore.js';
import { oneOf } from './sim/expect.js';
import { exploreOptions } from './sim/options.js';

const DIR = '/data';
const TARGET = '/data/config.txt';
const OLD = 'old content, fully synced';
const NEW = 'new content that replaces it';

async function writeAll(disk: Disk, path: string, flags: 'w' | 'wx', data: string, sync: boolean): Promise<void> {
  const f = await disk.open(path, flags, 0o644);
  await f.write(Buffer.from(data));
  if (sync) await f.sync();
  await f.close();
}

function naive(name: string, run: (disk: Disk) => Promise<unknown>): Scenario {
  return {
    name,
    setup: (sim) => sim.seedFile(TARGET, OLD),
    run,
    // The naive temp name is not one cleanupTemps knows, so tolerate it explicitly: the
    // point here is the target's content.
    check: oneOf(DIR, [{ [TARGET]: OLD }, { [TARGET]: NEW }], { ignore: (p) => p.endsWith('.tmp') }),
  };
}

// Each naive protocol with the kind of loss it must show: a torn or empty file, or a
// write the caller was told is done that a power cut takes back.
const scenarios: [Scenario, RegExp][] = [
  [
    naive('plain overwrite (open w, write, fsync)', (disk) => writeAll(disk, TARGET, 'w', NEW, true)),
    /neither old nor new: \S+=""/,
  ],
  [
    naive('rename without file sync', async (disk) => {
      await writeAll(disk, `${TARGET}.tmp`, 'wx', NEW, false);
      await disk.rename(`${TARGET}.tmp`, TARGET);
      await disk.syncDir(DIR);
    }),
    /neither old nor new: \S+=""/,
  ],
  [
    naive('rename without directory sync', async (disk) => {
      await writeAll(disk, `${TARGET}.tmp`, 'wx', NEW, true);
      await disk.rename(`${TARGET}.tmp`, TARGET);
    }),
    /resolved, but the new state is not durable/,
  ],
];

const results: ExploreResult[] = [];

for (const [s, loss] of scenarios) {
  test(`naive protocol loses data on the simulated disk: ${s.name}`, async () => {
    const r = await explore(s, exploreOptions());
    results.push(r);
    const found = r.violations.find((v) => loss.test(v.message));
    assert.ok(
      found,
      `expected the simulator to break "${s.name}" (${String(loss)}), found ${r.violations.length} other violations in ${r.states} states`,
    );
    console.log(`violation found: ${describeViolation(found)}`);
  });
}

test(
  'writeFile with fsync: false gives up the crash guarantee (and the simulator shows it)',
  { skip: missing('writeFile') },
  async () => {
    const r = await explore(
      naive('atomicfs writeFile, fsync: false', (disk) => need('writeFile')(TARGET, NEW, { disk, fsync: false })),
      exploreOptions(),
    );
    results.push(r);
    assert.ok(r.violations.length > 0, 'without syncs, some crash state loses the write');
  },
);

test('the full protocol (synced temp, rename, directory sync) survives the same exploration', async () => {
  const r = await explore(
    naive('temp + fsync + rename + directory sync', async (disk) => {
      await writeAll(disk, `${TARGET}.tmp`, 'wx', NEW, true);
      await disk.rename(`${TARGET}.tmp`, TARGET);
      await disk.syncDir(DIR);
    }),
    exploreOptions(),
  );
  results.push(r);
  assert.deepEqual(r.violations.map(describeViolation), []);
  console.log(
    `\nNaive protocols on the simulated disk (violations expected, except the last row):\n${table(results)}\n`,
  );
});
