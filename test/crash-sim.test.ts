/**
 * The simulated disk itself: its crash model (what survives a power cut) and its
 * behaviour outside crashes, compared call by call with the real disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { nodeDisk } from '../src/disk/index.js';
import type { Disk } from '../src/index.js';
import { SimDisk, type CrashMode, type Image } from './sim/sim-disk.js';
import { tmpDir } from './helpers/tmp.js';

const lost: CrashMode = { kind: 'lost' };
const kept: CrashMode = { kind: 'kept' };

function view(image: Image, path: string): string | undefined {
  return SimDisk.fromImage(image).contentOf(path);
}

async function put(disk: Disk, path: string, data: string, sync: boolean): Promise<void> {
  const f = await disk.open(path, 'wx', 0o644);
  await f.write(Buffer.from(data));
  if (sync) await f.sync();
  await f.close();
}

test('fsync of a file whose name is not durable yet: data durable, entry not', async () => {
  const sim = new SimDisk();
  sim.seedDir('/d');
  await put(sim, '/d/a', 'data', true);
  assert.equal(view(sim.crashImage(lost), '/d/a'), undefined);
  assert.equal(view(sim.crashImage(kept), '/d/a'), 'data');
  await sim.syncDir('/d');
  assert.equal(view(sim.crashImage(lost), '/d/a'), 'data');
});

test('a synced directory entry to unsynced data: the name survives, the data does not', async () => {
  const sim = new SimDisk();
  sim.seedDir('/d');
  await put(sim, '/d/a', 'data', false);
  await sim.syncDir('/d');
  assert.equal(view(sim.crashImage(lost), '/d/a'), '');
});

test('rename over a target is undone until the directory is synced; the old inode comes back', async () => {
  const sim = new SimDisk();
  sim.seedFile('/d/t', 'old');
  sim.seedFile('/d/tmp', 'new');
  await sim.rename('/d/tmp', '/d/t');
  assert.equal(sim.contentOf('/d/t'), 'new');
  const before = SimDisk.fromImage(sim.crashImage(lost));
  assert.equal(before.contentOf('/d/t'), 'old');
  assert.equal(before.contentOf('/d/tmp'), 'new');
  await sim.syncDir('/d');
  const after = SimDisk.fromImage(sim.crashImage(lost));
  assert.equal(after.contentOf('/d/t'), 'new');
  assert.equal(after.contentOf('/d/tmp'), undefined);
});

test('link and unlink keep the inode alive while any name remains (nlink)', async () => {
  const sim = new SimDisk();
  sim.seedFile('/d/tmp', 'x');
  await sim.link('/d/tmp', '/d/t');
  assert.equal((await sim.stat('/d/t')).nlink, 2);
  assert.equal((await sim.stat('/d/t')).ino, (await sim.stat('/d/tmp')).ino);
  await sim.unlink('/d/tmp');
  assert.equal((await sim.stat('/d/t')).nlink, 1);
  await assert.rejects(sim.link('/d/t', '/d/t'), { code: 'EEXIST', syscall: 'link' });
  // Before the directory sync, the unlink may persist without the link: neither name.
  const states = new Set<string>();
  for (let seed = 1; seed < 60; seed++) {
    const d = SimDisk.fromImage(sim.crashImage({ kind: 'subset', seed }));
    states.add(`${d.contentOf('/d/tmp') ?? '-'}|${d.contentOf('/d/t') ?? '-'}`);
  }
  assert.deepEqual([...states].sort(), ['-|-', '-|x', 'x|-', 'x|x']);
});

test('unsynced work persists in any subset, not only a prefix', async () => {
  const sim = new SimDisk();
  sim.seedDir('/d');
  await put(sim, '/d/a', 'a', true);
  await put(sim, '/d/b', 'b', true);
  const seen = new Set<string>();
  for (let seed = 1; seed < 60; seed++) {
    const d = SimDisk.fromImage(sim.crashImage({ kind: 'subset', seed }));
    seen.add(`${d.contentOf('/d/a') ?? '-'}${d.contentOf('/d/b') ?? '-'}`);
  }
  assert.ok(seen.has('-b'), `the later create persisted without the earlier one in some state: ${[...seen].join(' ')}`);
  // Same seed, same state: reproducible.
  const s1 = SimDisk.fromImage(sim.crashImage({ kind: 'subset', seed: 7 })).tree();
  const s2 = SimDisk.fromImage(sim.crashImage({ kind: 'subset', seed: 7 })).tree();
  assert.deepEqual(s1, s2);
});

test('a torn append keeps the size but holds garbage past a persisted prefix', async () => {
  const sim = new SimDisk();
  sim.seedFile('/d/log', 'head:');
  const f = await sim.open('/d/log', 'a');
  const tail = 'x'.repeat(64);
  await f.write(Buffer.from(tail));
  let torn = 0;
  for (let seed = 1; seed < 40; seed++) {
    const got = view(sim.crashImage({ kind: 'torn', seed }), '/d/log')!;
    assert.ok(got.startsWith('head:'), 'synced data is never lost');
    if (got.length === 5 + tail.length && got !== `head:${tail}`) torn++;
  }
  assert.ok(torn > 0, 'some state holds a torn tail');
  await f.sync();
  assert.equal(view(sim.crashImage({ kind: 'torn', seed: 3 }), '/d/log'), `head:${tail}`);
});

test('a rename between folders persists whole or not at all, durable once both are synced', async () => {
  const sim = new SimDisk();
  sim.seedFile('/a/x', 'x');
  sim.seedDir('/b');
  await sim.rename('/a/x', '/b/x');
  await sim.syncDir('/b');
  for (let seed = 1; seed < 30; seed++) {
    const d = SimDisk.fromImage(sim.crashImage({ kind: 'subset', seed }));
    assert.equal([d.contentOf('/a/x'), d.contentOf('/b/x')].filter((c) => c === 'x').length, 1);
  }
  await sim.syncDir('/a');
  const d = SimDisk.fromImage(sim.crashImage(lost));
  assert.deepEqual([d.contentOf('/a/x'), d.contentOf('/b/x')], [undefined, 'x']);
});

test('after the crash point every call fails with ESIMCRASH and changes nothing', async () => {
  const sim = new SimDisk();
  sim.seedDir('/d');
  sim.crashAfter(1);
  await sim.mkdir('/d/e');
  await assert.rejects(sim.mkdir('/d/f'), { code: 'ESIMCRASH' });
  assert.deepEqual([...sim.tree('/d').keys()], ['/d/e']);
  assert.deepEqual(
    sim.log.map((c) => c.op),
    ['mkdir'],
  );
});

test('an injected fault fails that call only, with a Node-shaped error; a persistent one repeats', async () => {
  const sim = new SimDisk();
  sim.seedDir('/d');
  sim.injectFault({ at: 1, code: 'ENOSPC' });
  await assert.rejects(sim.open('/d/a', 'wx'), { code: 'ENOSPC', syscall: 'open', path: '/d/a', errno: -28 });
  await (await sim.open('/d/a', 'wx')).close();
  sim.injectFault({ at: 4, code: 'EMFILE', persistent: true });
  await assert.rejects(sim.stat('/d/a'), { code: 'EMFILE' });
  await assert.rejects(sim.stat('/d/a'), { code: 'EMFILE' });
  await sim.lstat('/d/a');
});

type Step = [string, (d: Disk, root: string) => Promise<unknown>];

// Each step runs on the real disk and on the simulated one: same outcome (result or
// error code and syscall) and, at the end, the same tree.
const steps: Step[] = [
  ['mkdir', (d, r) => d.mkdir(join(r, 'd'))],
  ['mkdir again', (d, r) => d.mkdir(join(r, 'd'))],
  ['create', (d, r) => put(d, join(r, 'd/a'), 'alpha', true)],
  ['create again', (d, r) => put(d, join(r, 'd/a'), 'alpha', true)],
  ['open missing', (d, r) => d.open(join(r, 'd/none'), 'r')],
  ['open under a file', (d, r) => d.open(join(r, 'd/a/x'), 'wx')],
  ['open dir for writing', (d, r) => d.open(join(r, 'd'), 'w')],
  ['link', (d, r) => d.link(join(r, 'd/a'), join(r, 'd/b'))],
  ['link onto existing', (d, r) => d.link(join(r, 'd/a'), join(r, 'd/b'))],
  ['link a dir', (d, r) => d.link(join(r, 'd'), join(r, 'e'))],
  ['nlink', async (d, r) => (await d.stat(join(r, 'd/b'))).nlink],
  ['size', async (d, r) => (await d.lstat(join(r, 'd/a'))).size],
  ['is file', async (d, r) => (await d.stat(join(r, 'd/a'))).isFile()],
  ['readdir', async (d, r) => (await d.readdir(join(r, 'd'))).sort()],
  ['readdir a file', (d, r) => d.readdir(join(r, 'd/a'))],
  ['readlink a file', (d, r) => d.readlink(join(r, 'd/a'))],
  ['rmdir not empty', (d, r) => d.rmdir(join(r, 'd'))],
  ['rmdir a file', (d, r) => d.rmdir(join(r, 'd/a'))],
  ['unlink a dir', (d, r) => d.unlink(join(r, 'd'))],
  ['unlink missing', (d, r) => d.unlink(join(r, 'd/none'))],
  ['rename missing', (d, r) => d.rename(join(r, 'd/none'), join(r, 'd/x'))],
  [
    'rename file over dir',
    async (d, r) => {
      await d.mkdir(join(r, 'd/sub'));
      return d.rename(join(r, 'd/a'), join(r, 'd/sub'));
    },
  ],
  ['rename dir over file', (d, r) => d.rename(join(r, 'd/sub'), join(r, 'd/a'))],
  ['rename over file', (d, r) => d.rename(join(r, 'd/b'), join(r, 'd/a'))],
  ['rename onto itself', (d, r) => d.rename(join(r, 'd/a'), join(r, 'd/a'))],
  [
    'mode',
    async (d, r) => {
      await d.chmod(join(r, 'd/a'), 0o640);
      return (await d.stat(join(r, 'd/a'))).mode & 0o7777;
    },
  ],
  [
    'append',
    async (d, r) => {
      const f = await d.open(join(r, 'd/a'), 'a');
      await f.write(Buffer.from('+tail'));
      await f.close();
    },
  ],
  [
    'truncate on open',
    async (d, r) => {
      const f = await d.open(join(r, 'd/c'), 'w');
      await f.write(Buffer.from('abcdef'));
      await f.write(Buffer.from('XY'), 2);
      await f.truncate(5);
      await f.close();
    },
  ],
  [
    'read',
    async (d, r) => {
      const f = await d.open(join(r, 'd/c'), 'r');
      const b = Buffer.alloc(16);
      const n = await f.read(b, 1);
      await f.close();
      return b.subarray(0, n).toString();
    },
  ],
  [
    'write read-only',
    async (d, r) => {
      const f = await d.open(join(r, 'd/c'), 'r');
      try {
        await f.write(Buffer.from('z'));
      } finally {
        await f.close();
      }
    },
  ],
  ['sync dir', (d, r) => d.syncDir(join(r, 'd'))],
  ['sync a missing dir', (d, r) => d.syncDir(join(r, 'none'))],
  ['sync a file as dir', (d, r) => d.syncDir(join(r, 'd/a'))],
  [
    'open dir ahead of a rename, sync after it',
    async (d, r) => {
      const dir = await d.openDir!(join(r, 'd'));
      await d.rename(join(r, 'd/c'), join(r, 'd/c2'));
      await dir.sync();
      await dir.close();
      await d.rename(join(r, 'd/c2'), join(r, 'd/c'));
    },
  ],
  ['open a missing dir ahead', (d, r) => d.openDir!(join(r, 'none'))],
  ['open a file as dir ahead', (d, r) => d.openDir!(join(r, 'd/a'))],
  ['rmdir empty', (d, r) => d.rmdir(join(r, 'd/sub'))],
];

async function outcome(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    const v = await fn();
    return { ok: v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v)) ? true : v };
  } catch (err) {
    const e = err as { code?: string; syscall?: string };
    return { code: e.code, syscall: e.syscall };
  }
}

test('the simulated disk behaves like the real one, call by call (codes, nlink, modes, content)', async () => {
  const root = await tmpDir('atomicfs-sim-diff-');
  const sim = new SimDisk();
  sim.seedDir(root);
  for (const [name, step] of steps) {
    const real = await outcome(() => step(nodeDisk, root));
    const simulated = await outcome(() => step(sim, root));
    assert.deepEqual(simulated, real, `step "${name}"`);
  }
  const { readFile } = await import('node:fs/promises');
  assert.equal(sim.contentOf(join(root, 'd/a')), await readFile(join(root, 'd/a'), 'utf8'));
  assert.equal(sim.contentOf(join(root, 'd/c')), await readFile(join(root, 'd/c'), 'utf8'));
});
