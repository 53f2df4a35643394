/**
 * The one fault-injecting wrapper (helpers/fault-disk.ts) and the simulated disk's
 * synchronous twins: a rule, a crash point or an injected fault hits an asynchronous call
 * and its synchronous twin alike, and the simulated disk ends in the same state, with the
 * same log and the same possible crash images, whichever way a protocol drives it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeDisk, type Disk, type DualDisk } from '../src/disk/index.js';
import * as io from '../src/disk/io.js';
import { runAsync, runSync, type Dual } from '../src/disk/dual.js';
import { faultDisk, type Call } from './helpers/fault-disk.js';
import { SimDisk, type CrashMode, type Image, type SimPlatform } from './sim/sim-disk.js';
import { tmpDir } from './helpers/tmp.js';

type Way = 'async' | 'sync';
const WAYS: Way[] = ['async', 'sync'];

function drive<T>(way: Way, protocol: Dual<T>): Promise<T> {
  if (way === 'async') return runAsync(protocol);
  // An error thrown by the executor rejects the promise.
  return new Promise<T>((resolve) => resolve(runSync(protocol)));
}

/** A base disk with /d/a holding 'A' and a file for a temporary name; the path of /d on it. */
async function bases(): Promise<
  { name: string; disk: DualDisk; dir: string; content: (p: string) => string | undefined }[]
> {
  const real = await tmpDir('atomicfs-faultdisk-');
  writeFileSync(join(real, 'a'), 'A');
  const sim = new SimDisk();
  sim.seedFile('/d/a', 'A');
  return [
    {
      name: 'nodeDisk',
      disk: nodeDisk,
      dir: real,
      content: (p) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined),
    },
    { name: 'SimDisk', disk: sim, dir: '/d', content: (p) => sim.contentOf(p) },
  ];
}

const opsOf = (calls: Call[]): string[] => calls.map((c) => `${c.op}${c.sync ? ' (sync)' : ''} ${c.path}`);

for (const way of WAYS) {
  test(`a rule fails a ${way} rename and a ${way} file.sync, once, on nodeDisk and on SimDisk alike`, async () => {
    for (const base of await bases()) {
      const disk = faultDisk(base.disk);
      const [a, b, t] = [join(base.dir, 'a'), join(base.dir, 'b'), join(base.dir, 't')];
      const renameRule = disk.fail('rename', 'EIO');
      await assert.rejects(drive(way, io.rename(disk, a, b)), { code: 'EIO', syscall: 'rename', path: a }, base.name);
      assert.equal(base.content(a), 'A', `${base.name}: the failed rename reached nothing`);
      assert.equal(renameRule.hits, 1);
      await drive(way, io.rename(disk, a, b));
      assert.equal(base.content(b), 'A', `${base.name}: once only`);

      disk.fail('file.sync', 'ENOSPC');
      const file = await drive(way, io.open(disk, t, 'wx'));
      await drive(way, io.write(file, Buffer.from('T')));
      await assert.rejects(drive(way, io.fsync(file)), { code: 'ENOSPC', syscall: 'sync', path: t }, base.name);
      await drive(way, io.fsync(file));
      await drive(way, io.close(file));
      const s = way === 'sync' ? ' (sync)' : '';
      assert.deepEqual(opsOf(disk.calls), [
        `rename${s} ${a}`,
        `rename${s} ${a}`,
        `open${s} ${t}`,
        `file.write${s} ${t}`,
        `file.sync${s} ${t}`,
        `file.sync${s} ${t}`,
        `file.close${s} ${t}`,
      ]);
      assert.equal(disk.count('file.sync'), 2);
    }
  });

  test(`a crash rule fails that ${way} call and every later one but closing a file, on both disks`, async () => {
    for (const base of await bases()) {
      const disk = faultDisk(base.disk);
      const [a, b, t] = [join(base.dir, 'a'), join(base.dir, 'b'), join(base.dir, 't')];
      const file = await drive(way, io.open(disk, t, 'wx'));
      disk.crash('file.write', 'EIO');
      await assert.rejects(drive(way, io.write(file, Buffer.from('T'))), { code: 'EIO' }, base.name);
      assert.equal(disk.crashed, true);
      await assert.rejects(drive(way, io.rename(disk, a, b)), { code: 'ESIMCRASH' }, base.name);
      await assert.rejects(drive(way, io.stat(disk, a)), { code: 'ESIMCRASH' }, base.name);
      await drive(way, io.close(file));
      assert.equal(base.content(a), 'A');
      assert.equal(base.content(t), '', `${base.name}: the crashed write wrote nothing`);
    }
  });
}

test('a gate holds an async call until opened; a sync call, which cannot wait, fails plainly', async () => {
  const sim = new SimDisk();
  sim.seedFile('/d/a', 'A');
  const disk = faultDisk(sim);
  const gate = disk.gate('unlink', 2);
  let done = false;
  const unlinking = disk.unlink('/d/a').then(() => (done = true));
  assert.equal((await gate.reached).path, '/d/a');
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'held');
  assert.equal(sim.contentOf('/d/a'), 'A');
  assert.throws(() => disk.unlinkSync('/d/a'), { message: /^fault-disk: .*cannot wait/ });
  gate.open();
  await unlinking;
  assert.equal(sim.contentOf('/d/a'), undefined);
});

test('alterReads changes the bytes an async read and a sync read return, alike', async () => {
  const sim = new SimDisk();
  sim.seedFile('/d/a', 'abc');
  const disk = faultDisk(sim);
  disk.alterReads((bytes) => bytes.reverse());
  for (const way of WAYS) {
    const file = await drive(way, io.open(disk, '/d/a', 'r'));
    const buf = Buffer.alloc(8);
    const n = await drive(way, io.read(file, buf, 0));
    assert.equal(buf.subarray(0, n).toString(), 'cba', way);
    await drive(way, io.close(file));
  }
});

test('disarmed, the wrapper records nothing and no rule fires', async () => {
  const sim = new SimDisk();
  sim.seedFile('/d/a', 'A');
  const disk = faultDisk(sim);
  disk.fail('stat', 'EIO', Infinity);
  disk.armed = false;
  assert.equal(disk.statSync('/d/a').size, 1);
  assert.equal((await disk.stat('/d/a')).size, 1);
  assert.deepEqual(disk.calls, []);
  disk.armed = true;
  assert.throws(() => disk.statSync('/d/a'), { code: 'EIO' });
});

// ---- the simulated disk's synchronous twins --------------------------------------------

/** Create a temporary file, write, fsync, rename it over the target, sync the folder, stat. */
function* replace(disk: Disk): Dual<string[]> {
  const outcomes: string[] = [];
  function* step(name: string, s: Dual<unknown>): Dual<void> {
    try {
      const value = yield* s;
      outcomes.push(`${name} ok${typeof value === 'number' ? ` ${value}` : ''}`);
    } catch (err) {
      outcomes.push(`${name} ${(err as NodeJS.ErrnoException).code}`);
    }
  }
  let file: Awaited<ReturnType<Disk['open']>> | undefined;
  yield* step(
    'open',
    (function* () {
      file = yield* io.open(disk, '/d/.t.tmp', 'wx', 0o644);
    })(),
  );
  if (file) {
    yield* step('write', io.write(file, Buffer.from('new content')));
    yield* step('fsync', io.fsync(file));
    yield* step('close', io.close(file));
  }
  yield* step('rename', io.rename(disk, '/d/.t.tmp', '/d/t'));
  yield* step('syncDir', io.syncDir(disk, '/d'));
  yield* step(
    'stat',
    (function* () {
      return (yield* io.stat(disk, '/d/t')).size;
    })(),
  );
  return outcomes;
}

/** An image without its time stamps (each run stamps its own). */
function timeless(image: Image): unknown {
  return [...image].map(([ino, n]) => {
    const { mtimeMs: _m, ...meta } = n.meta;
    const body = n.kind === 'file' ? n.data.toString('hex') : n.kind === 'dir' ? [...n.entries] : n.target;
    return [ino, n.kind, meta, body];
  });
}

const MODES: CrashMode[] = [
  { kind: 'lost' },
  { kind: 'kept' },
  ...[1, 2, 3, 4].map((seed) => ({ kind: 'subset' as const, seed })),
  ...[1, 2, 3].map((seed) => ({ kind: 'torn' as const, seed })),
];

async function runReplace(
  way: Way,
  platform: SimPlatform,
  setup: (sim: SimDisk) => void,
): Promise<{ outcomes: string[]; log: unknown; images: unknown[]; tree: unknown }> {
  const sim = new SimDisk(undefined, { platform });
  sim.seedFile('/d/t', 'old');
  setup(sim);
  const outcomes = await drive(way, replace(sim));
  return {
    outcomes,
    log: sim.log.map((c) => ({ ...c })),
    images: MODES.map((m) => timeless(sim.crashImage(m))),
    tree: [...sim.tree('/')].map(([p, e]) => [p, e.kind === 'file' ? e.data.toString() : e.kind]),
  };
}

for (const platform of ['posix', 'windows'] as const) {
  test(`SimDisk (${platform}): the sync twins give the async calls' results, log, crash images, at every crash point and fault`, async () => {
    const total = (await runReplace('async', platform, () => undefined)).log as unknown[];
    assert.ok(total.length >= 7, 'the script makes its calls');
    const setups: [string, (sim: SimDisk) => void][] = [['no fault', () => undefined]];
    for (let k = 0; k <= total.length; k++) setups.push([`crash after ${k}`, (sim) => sim.crashAfter(k)]);
    for (let k = 1; k <= total.length; k++)
      setups.push([`EIO at ${k}`, (sim) => sim.injectFault({ at: k, code: 'EIO', persistent: true })]);
    for (const [name, setup] of setups) {
      const asyncRun = await runReplace('async', platform, setup);
      const syncRun = await runReplace('sync', platform, setup);
      assert.deepEqual(syncRun, asyncRun, `${platform}, ${name}`);
    }
  });
}

test('SimDisk: a sync call lands at once, even while async calls land in any order', async () => {
  const sim = new SimDisk();
  sim.seedFile('/d/a', 'A');
  sim.landInAnyOrder(7);
  const pending = sim.rename('/d/a', '/d/b');
  sim.renameSync('/d/a', '/d/c');
  assert.equal(sim.contentOf('/d/c'), 'A', 'the sync rename has landed');
  await assert.rejects(pending, { code: 'ENOENT' }, 'the async one lands later, after it');
  assert.deepEqual(
    sim.log.map((c) => c.dest),
    ['/d/c', '/d/b'],
  );
});
