/**
 * Group commit (src/file/dir-sync.ts): concurrent writers into one folder share directory
 * syncs, each of which starts after the renames it covers, and no writer can make another
 * wait for ever.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from '../src/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Disk } from '../src/disk/index.js';
import { SimDisk } from './sim/sim-disk.js';
import { faultDisk } from './helpers/fault-disk.js';

/** `sim`, but every call (and every call on an open file) takes 0 to 2 ms, as real ones do. */
function slow(sim: SimDisk): Disk {
  let n = 0;
  const disk = faultDisk(sim);
  disk.on(() => true, { before: (c) => (c.sync ? undefined : sleep(n++ % 3)) });
  return disk;
}

const N = 16;
const dirSyncs = (sim: SimDisk): number => sim.log.filter((c) => c.op === 'syncDir').length;

test(
  '16 concurrent small writes into one folder share one directory sync, and all are durable',
  { timeout: 10_000 },
  async () => {
    const sim = new SimDisk();
    sim.seedDir('/d');
    for (let i = 0; i < N; i++) sim.seedFile(`/d/f${i}`, 'old');
    const before = dirSyncs(sim);
    const disk = slow(sim);
    await Promise.all(Array.from({ length: N }, (_, i) => writeFile(`/d/f${i}`, `new ${i}`, { disk })));
    // Renames are spread out in time: without the announcements, the first one's sync
    // would start at once and the rest would need a second.
    assert.equal(dirSyncs(sim) - before, 1, 'one directory sync for the whole group');
    // Every write resolved, so every one must survive a power cut, whatever was unsynced.
    for (const seed of [1, 2, 3]) {
      const after = SimDisk.fromImage(sim.crashImage({ kind: 'subset', seed }));
      for (let i = 0; i < N; i++) assert.equal(after.contentOf(`/d/f${i}`), `new ${i}`, `f${i} after crash ${seed}`);
    }
  },
);

test('writes to one path among others: call order kept, nobody waits for ever', { timeout: 10_000 }, async () => {
  const sim = new SimDisk();
  sim.seedDir('/d');
  // The second and third writes to /d/same must wait for the first: they must not be
  // waited for by the directory sync the first one needs.
  const disk = slow(sim);
  const writes = [
    writeFile('/d/same', 'one', { disk }),
    writeFile('/d/same', 'two', { disk }),
    writeFile('/d/same', 'three', { disk }),
  ];
  for (let i = 0; i < N; i++) writes.push(writeFile(`/d/f${i}`, `new ${i}`, { disk }));
  await Promise.all(writes);
  assert.equal(sim.contentOf('/d/same'), 'three');
});

test('a write that fails does not hold back the directory sync of the others', { timeout: 10_000 }, async () => {
  const sim = new SimDisk();
  sim.seedDir('/d');
  sim.seedDir('/d/adir');
  const disk = slow(sim);
  const results = await Promise.allSettled([
    writeFile('/d/adir', 'x', { disk }),
    ...Array.from({ length: N }, (_, i) => writeFile(`/d/f${i}`, `new ${i}`, { disk })),
  ]);
  const first = results[0];
  assert.ok(first?.status === 'rejected');
  assert.equal((first.reason as { code?: string }).code, 'EISDIR');
  assert.ok(results.slice(1).every((r) => r.status === 'fulfilled'));
  for (let i = 0; i < N; i++) assert.equal(sim.contentOf(`/d/f${i}`), `new ${i}`);
});

test('a lone durable write opens its folder alongside its rename, and syncs it only once the rename is done', async () => {
  const sim = new SimDisk();
  sim.seedDir('/d');
  sim.seedFile('/d/f', 'old');
  const events: string[] = [];
  const disk = faultDisk(sim);
  disk.on('rename', {
    before: async () => {
      events.push('rename started');
      await sleep(5);
    },
    after: () => void events.push('rename done'),
  });
  disk.on('openDir', { before: () => void events.push('folder opened') });
  disk.on('syncDir', { before: () => void events.push('folder synced') });
  await writeFile('/d/f', 'new', { disk });
  assert.deepEqual(events, ['rename started', 'folder opened', 'rename done', 'folder synced']);
  // Resolved, so durable: a power cut now keeps the new content.
  for (const seed of [1, 2, 3])
    assert.equal(SimDisk.fromImage(sim.crashImage({ kind: 'subset', seed })).contentOf('/d/f'), 'new');
});

test('overlapping writes into one folder keep call order per name without asking for real paths; another spelling of the folder does ask', async () => {
  const sim = new SimDisk();
  sim.seedDir('/d');
  // The simulated disk answers at once: every write has resolved its target before any
  // reaches its turn, as writes of small content into one folder mostly have.
  const disk = sim;
  const realpaths = (): number => sim.log.filter((c) => c.op === 'realpath').length;
  // Four names, each written three times, all at once: the last call per name must win.
  const writes = Array.from({ length: 12 }, (_, i) => writeFile(`/d/n${i % 4}`, `call ${i}`, { disk }));
  await Promise.all(writes);
  for (let n = 0; n < 4; n++) assert.equal(sim.contentOf(`/d/n${n}`), `call ${8 + n}`);
  assert.equal(realpaths(), 0, 'one folder, spelt alike: names are compared as they are');
  // A link to the folder is another spelling of it: the same file under it still waits its turn.
  sim.symlink('/d', '/via');
  const mixed = [writeFile('/d/n0', 'x'.repeat(200_000), { disk }), writeFile('/via/n0', 'last', { disk })];
  await Promise.all(mixed);
  assert.equal(sim.contentOf('/d/n0'), 'last');
  assert.ok(realpaths() > 0, 'the real paths were asked for');
});

test('a burst into one folder keeps names as they are even when an earlier write learns its target last', async () => {
  const sim = new SimDisk();
  sim.seedDir('/d');
  const realpaths = (): number => sim.log.filter((c) => c.op === 'realpath').length;
  const disk = faultDisk(sim);
  // The first write's lstat comes back long after every other write has reached its
  // turn: they wait for it to tell where it goes instead of learning real paths.
  disk.on((c) => c.op === 'lstat' && c.path === '/d/n0', { before: () => sleep(30) });
  const writes = Array.from({ length: 12 }, (_, i) => writeFile(`/d/n${i % 4}`, `call ${i}`, { disk }));
  await Promise.all(writes);
  for (let n = 0; n < 4; n++) assert.equal(sim.contentOf(`/d/n${n}`), `call ${8 + n}`);
  assert.equal(realpaths(), 0, 'no real path asked for');
});

test('a write waiting for an earlier one to learn its target still follows it when that target is its own file', async () => {
  for (const [link, target] of [
    ['/d/link', '/d/t'],
    ['/d/away', '/e/t'],
  ] as const) {
    const sim = new SimDisk();
    sim.seedDir('/d');
    sim.seedDir('/e');
    sim.seedFile(target, 'old');
    sim.symlink(target, link);
    const disk = faultDisk(sim);
    disk.on((c) => c.op === 'lstat' && c.path === link, { before: () => sleep(30) });
    // Called first through the link, then by the target's own name: the second call wins.
    await Promise.all([writeFile(link, 'through the link', { disk }), writeFile(target, 'last', { disk })]);
    assert.equal(sim.contentOf(target), 'last', `${link} -> ${target}`);
  }
});
