/**
 * tx.commitSync() and recoverSync(): the commit and recovery protocols driven
 * synchronously (issue #14). What a synchronous commit takes (content in memory), what
 * it refuses before doing anything, its rollback, its durability in an exit handler, the
 * two ways it can meet a held lock, and recoverSync after a killed asynchronous commit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as atomicfs from '../src/index.js';
import { nodeDisk } from '../src/disk/index.js';
import { faultDisk, type Call } from './helpers/fault-disk.js';
import { childScript, run, waitFor } from './helpers/child.js';
import { sizeFromEnv, tmpDir } from './helpers/tmp.js';
import { journals, leftovers, locksLeft, owners, snapshot } from './helpers/tx-files.js';

const KILL_CHILD = fileURLToPath(new URL('./helpers/tx-kill-child.js', import.meta.url));
const DISK_ENTRY = new URL('../src/disk/index.js', import.meta.url).href;
const FAULT_DISK = new URL('./helpers/fault-disk.js', import.meta.url).href;

function clean(root: string): void {
  assert.deepEqual(leftovers(root), [], 'no staged or temporary file left');
  assert.deepEqual(journals(root), [], 'no journal left');
  assert.deepEqual(owners(root), [], 'no lock owner file left');
  assert.deepEqual(locksLeft(root), [], 'no lock left');
}

async function seeded(files: Record<string, string>): Promise<string> {
  const root = await tmpDir('atomicfs-synctx-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

test('commitSync applies writes, creates, deletes, copies and moves, into new folders', async () => {
  const root = await seeded({ 'a.txt': 'a old', 'b.txt': 'b old', 'src/c.txt': 'c content', 'd.txt': 'd old' });
  const tx = await atomicfs.transaction({ root });
  tx.writeFile(join(root, 'a.txt'), 'a new')
    .createFile(join(root, 'new/deep/e.txt'), Buffer.from('e created'))
    .deleteFile(join(root, 'b.txt'))
    .copyFile(join(root, 'src/c.txt'), join(root, 'copies/c.txt'))
    .moveFile(join(root, 'd.txt'), join(root, 'moved/d.txt'))
    .writeJson(join(root, 'new/f.json'), { f: 1 });
  const result = tx.commitSync();
  assert.equal(tx.state, 'committed');
  assert.equal(result.id, tx.id);
  assert.equal(result.changed.length, 7);
  assert.deepEqual(snapshot(root), {
    'a.txt': 'a new',
    'copies/c.txt': 'c content',
    'moved/d.txt': 'd old',
    'new/deep/e.txt': 'e created',
    'new/f.json': '{\n  "f": 1\n}\n',
    'src/c.txt': 'c content',
  });
  clean(root);
});

test('commitSync refuses a staged stream before doing anything; the transaction stays open', async () => {
  const root = await seeded({ 'a.txt': 'a old' });
  const tx = await atomicfs.transaction({ root });
  tx.writeFile(join(root, 'a.txt'), 'a new').writeFile(join(root, 'streamed.txt'), Readable.from(['x', 'y']));
  assert.throws(
    () => tx.commitSync(),
    (err: atomicfs.AtomicError) =>
      err.code === 'EINVAL' && err.message.includes(join(root, 'streamed.txt')) && /stream/.test(err.message),
  );
  assert.equal(tx.state, 'open');
  assert.deepEqual(snapshot(root), { 'a.txt': 'a old' });
  assert.deepEqual(journals(root), []);
  // Still usable: the asynchronous commit reads the stream.
  await tx.commit();
  assert.deepEqual(snapshot(root), { 'a.txt': 'a new', 'streamed.txt': 'xy' });
});

test('commitSync refuses a coordinator, naming the root, and hooks without their synchronous method', async () => {
  const root = await seeded({ 'a.txt': 'a old' });
  const unreachable = (): never => {
    throw new Error('the coordinator must not be asked');
  };
  const coordinator = new Proxy({}, { get: () => unreachable }) as atomicfs.TransactionOptions['coordinator'];
  const withCoordinator = await atomicfs.transaction({ root, coordinator });
  withCoordinator.writeFile(join(root, 'a.txt'), 'a new');
  assert.throws(
    () => withCoordinator.commitSync(),
    (err: atomicfs.AtomicError) =>
      err.code === 'EINVAL' && err.message.includes(root) && /coordinator/.test(err.message),
  );
  assert.equal(withCoordinator.state, 'open');
  await withCoordinator.rollback();

  const asyncAudit = { record: () => Promise.resolve() };
  const audited = await atomicfs.transaction({ root, audit: asyncAudit });
  audited.writeFile(join(root, 'a.txt'), 'a new');
  assert.throws(
    () => audited.commitSync(),
    (err: atomicfs.AtomicError) => err.code === 'EINVAL' && /recordSync/.test(err.message),
  );
  assert.equal(audited.state, 'open');
  assert.deepEqual(snapshot(root), { 'a.txt': 'a old' });
});

test('recoverSync refuses a coordinator, naming the root', async () => {
  const root = await tmpDir('atomicfs-synctx-');
  const coordinator = new Proxy(
    {},
    { get: () => () => Promise.resolve(true) },
  ) as atomicfs.RecoverOptions['coordinator'];
  assert.throws(
    () => atomicfs.recoverSync(root, { coordinator }),
    (err: atomicfs.AtomicError) => err.code === 'EINVAL' && err.message.includes(root),
  );
});

test('recoverSync of a root with nothing to recover reports nothing, as recover() does', async () => {
  const root = await seeded({ 'a.txt': 'a' });
  assert.deepEqual(atomicfs.recoverSync(root), await atomicfs.recover(root));
  assert.deepEqual(atomicfs.recoverSync(root), { rolledBack: 0, rolledForward: 0, tempsRemoved: 0 });
});

for (const [where, match] of [
  [
    'a staged file fails its fsync (before the commit point)',
    (c: Call) => c.sync && c.op === 'file.sync' && c.path.endsWith('.atomicfs-stage'),
  ],
  [
    'a rename over a target fails (after the commit point: undone)',
    (c: Call) => c.sync && c.op === 'rename' && (c.to ?? '').endsWith('b.txt'),
  ],
] as const) {
  test(`commitSync rolls back when ${where}`, async () => {
    const root = await seeded({ 'a.txt': 'a old', 'b.txt': 'b old' });
    const disk = faultDisk(nodeDisk);
    const rule = disk.fail(match, 'EIO');
    const tx = await atomicfs.transaction({ root, disk });
    tx.writeFile(join(root, 'a.txt'), 'a new')
      .writeFile(join(root, 'b.txt'), 'b new')
      .writeFile(join(root, 'n/c.txt'), 'c');
    assert.throws(
      () => tx.commitSync(),
      (err: atomicfs.TransactionError) => err.rolledBack && /EIO/.test(err.message),
    );
    assert.equal(rule.hits, 1, 'the fault was met');
    assert.equal(tx.state, 'rolled-back');
    assert.deepEqual(snapshot(root), { 'a.txt': 'a old', 'b.txt': 'b old' });
    assert.equal(existsSync(join(root, 'n')), false, 'the folder made for it is gone');
    clean(root);
  });
}

test('a commitSync in an exit handler: every file new afterwards, and synced', async () => {
  const root = await seeded({ 'settings.json': '{"v":0}' });
  const script = await childScript(
    root,
    'exit-child.mjs',
    `import { nodeDisk } from ${JSON.stringify(DISK_ENTRY)};
import { faultDisk } from ${JSON.stringify(FAULT_DISK)};
const root = process.argv[2];
const disk = faultDisk(nodeDisk);
const tx = await atomicfs.transaction({ root, disk });
tx.writeJson(root + '/settings.json', { v: 1 }).writeFile(root + '/state/last.txt', 'bye');
process.on('exit', () => {
  tx.commitSync();
  const synced = disk.calls.filter((c) => c.sync && (c.op === 'file.sync' || c.op === 'syncDir'));
  process.stdout.write(JSON.stringify(synced.map((c) => (c.op === 'syncDir' ? 'syncDir ' : 'fsync ') + c.path)));
});
setTimeout(() => process.exit(0), 10);`,
  );
  const { done } = run(script, [root]);
  const out = await done;
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(snapshot(root), {
    'exit-child.mjs': readFileSync(script, 'utf8'),
    'settings.json': '{\n  "v": 1\n}\n',
    'state/last.txt': 'bye',
  });
  clean(root);
  const log = JSON.parse(out.stdout) as string[];
  const fsynced = log.filter((l) => l.startsWith('fsync ')).map((l) => l.slice(6));
  for (const target of ['settings.json', 'state/last.txt'])
    assert.ok(
      fsynced.some((p) => p.startsWith(join(root, target, '..')) && p.endsWith('.atomicfs-stage')),
      `the staged ${target} was fsynced: ${log.join('\n')}`,
    );
  assert.ok(
    fsynced.some((p) => p.endsWith('.journal')),
    'the journal was fsynced',
  );
  for (const dir of [root, join(root, 'state')])
    assert.ok(log.includes(`syncDir ${dir}`), `folder ${dir} synced after the renames: ${log.join('\n')}`);
});

test('recoverSync after SIGKILLed asynchronous transactions: every file old or every file new', async () => {
  const root = await tmpDir('atomicfs-synctx-kill-');
  const files = 8;
  const names = Array.from({ length: files }, (_, i) => join(root, `f${String(i).padStart(2, '0')}`));
  for (const n of names) writeFileSync(n, '0');
  const kills = sizeFromEnv('ATOMICFS_KILLS', 5);
  let seen = 0;
  for (let k = 0; k < kills; k++) {
    const child = spawn(process.execPath, [KILL_CHILD, root, String(files)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = once(child, 'exit');
    await waitFor(child, 'loaded');
    const ready = waitFor(child, 'ready');
    child.stdin.write('go\n');
    await ready;
    await sleep(Math.floor(Math.random() * 300));
    child.kill('SIGKILL');
    await exited;
    const report = atomicfs.recoverSync(root);
    assert.equal(report.rolledBack + report.rolledForward <= 1, true, JSON.stringify(report));
    const gens = names.map((n) => readFileSync(n, 'utf8'));
    assert.equal(new Set(gens).size, 1, `kill ${k}: one generation in every file, got ${gens.join(',')}`);
    const gen = Number(gens[0]);
    assert.ok(gen >= seen, 'no committed generation lost');
    seen = gen;
    clean(root);
  }
});

test('commitSync meeting a lock held by another process waits up to its timeout, then fails rolled back', async () => {
  const root = await seeded({ 'a.txt': 'a old', 'b.txt': 'b old' });
  const script = await childScript(
    root,
    'holder.mjs',
    `const release = await atomicfs.lock(process.argv[2]);
process.stdout.write('held\\n');
process.stdin.once('data', async () => { await release(); process.stdout.write('released\\n'); process.exit(0); });`,
  );
  const child = spawn(process.execPath, [script, join(root, 'b.txt')], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  await waitFor(child, 'held');
  try {
    const tx = await atomicfs.transaction({ root, timeout: 300 });
    tx.writeFile(join(root, 'a.txt'), 'a new').writeFile(join(root, 'b.txt'), 'b new');
    assert.throws(
      () => tx.commitSync(),
      (err: atomicfs.TransactionError) => err.rolledBack && (err.code === 'ELOCKED' || err.code === 'ETXFAILED'),
    );
    assert.equal(tx.state, 'rolled-back');
    assert.deepEqual(snapshot(root), {
      'a.txt': 'a old',
      'b.txt': 'b old',
      'holder.mjs': readFileSync(script, 'utf8'),
    });
  } finally {
    child.stdin.write('go\n');
    await exited;
  }
  // Once the other process let go, a synchronous commit goes through.
  const tx = await atomicfs.transaction({ root, timeout: 5_000 });
  tx.writeFile(join(root, 'b.txt'), 'b new');
  tx.commitSync();
  assert.equal(readFileSync(join(root, 'b.txt'), 'utf8'), 'b new');
  clean(root);
});

test('commitSync meeting a lock held by this process fails at once, rolled back (it cannot wait for it)', async () => {
  const root = await seeded({ 'a.txt': 'a old', 'b.txt': 'b old' });
  // No timeout: a commit that waited would hang this test instead of failing.
  const held = await atomicfs.lock(join(root, 'b.txt'));
  try {
    const tx = await atomicfs.transaction({ root });
    tx.writeFile(join(root, 'a.txt'), 'a new').writeFile(join(root, 'b.txt'), 'b new');
    assert.throws(
      () => tx.commitSync(),
      (err: atomicfs.TransactionError) => err.rolledBack && /b\.txt/.test(err.message),
    );
    assert.equal(tx.state, 'rolled-back');
    assert.deepEqual(snapshot(root), { 'a.txt': 'a old', 'b.txt': 'b old' });
  } finally {
    await held();
  }

  // An asynchronous transaction in flight, holding its locks (paused in its backup hook).
  let resume: () => void = () => undefined;
  const paused = new Promise<void>((r) => (resume = r));
  let reached: () => void = () => undefined;
  const atHook = new Promise<void>((r) => (reached = r));
  const backup = {
    preserve: async () => {
      reached();
      await paused;
      return undefined;
    },
  };
  const slow = await atomicfs.transaction({ root, backup });
  slow.writeFile(join(root, 'b.txt'), 'b from async');
  const committing = slow.commit();
  await atHook;
  const tx = await atomicfs.transaction({ root });
  tx.writeFile(join(root, 'b.txt'), 'b from sync');
  assert.throws(
    () => tx.commitSync(),
    (err: atomicfs.TransactionError) => err.rolledBack,
  );
  resume();
  await committing;
  assert.equal(readFileSync(join(root, 'b.txt'), 'utf8'), 'b from async');
  clean(root);
});

test('commitSync is traced on its own channel, transactionSync', async () => {
  const { tracingChannel } = await import('node:diagnostics_channel');
  const seen: string[] = [];
  const ch = tracingChannel('atomicfs:transactionSync');
  const handlers = {
    start: (m: unknown) => seen.push(`start ${(m as { root?: string }).root ?? ''}`),
    end: () => seen.push('end'),
    asyncStart: () => undefined,
    asyncEnd: () => undefined,
    error: () => seen.push('error'),
  };
  ch.subscribe(handlers);
  try {
    const root = await seeded({ 'a.txt': 'a old' });
    const tx = await atomicfs.transaction({ root });
    tx.writeFile(join(root, 'a.txt'), 'a new').commitSync();
    assert.deepEqual(seen, [`start ${root}`, 'end']);
  } finally {
    ch.unsubscribe(handlers);
  }
});
