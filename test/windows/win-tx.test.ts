/**
 * Windows, for real (under Wine, `npm run test:windows`): transactions whose paths use
 * backslashes, forward slashes, a lower-case drive letter or another letter case than
 * the root; the state folder refused in any spelling; backups and the audit trail with
 * Windows paths; a commit SIGKILLed at random moments, then recover(); locks and
 * updateJson across processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  AuditLog,
  BackupStore,
  guard,
  lock,
  LockError,
  recover,
  transaction,
  withTransaction,
} from '../../src/index.js';
import { childScript, run, waitFor } from '../helpers/child.js';
import { sizeFromEnv, tmpDir } from '../helpers/tmp.js';
import { journals, leftovers, locksLeft, owners } from '../helpers/tx-files.js';

const slashes = (p: string): string => p.replaceAll('\\', '/');
const lowerDrive = (p: string): string => p[0]!.toLowerCase() + p.slice(1);

test('a transaction over paths with backslashes, forward slashes, a lower-case drive and another letter case', async () => {
  const root = await tmpDir();
  writeFileSync(join(root, 'Existing.txt'), 'old');
  mkdirSync(join(root, 'sub'));
  const tx = await transaction({ root: slashes(root) });
  tx.writeFile(join(root, 'back.txt'), 'b');
  tx.writeFile(`${slashes(root)}/forward.txt`, 'f');
  tx.writeFile(join(lowerDrive(root), 'sub', 'deep.txt'), 'd');
  tx.writeFile(join(root, 'EXISTING.TXT'), 'new');
  const { changed } = await tx.commit();
  assert.equal(changed.length, 4);
  assert.equal(readFileSync(join(root, 'back.txt'), 'utf8'), 'b');
  assert.equal(readFileSync(join(root, 'forward.txt'), 'utf8'), 'f');
  assert.equal(readFileSync(join(root, 'sub', 'deep.txt'), 'utf8'), 'd');
  assert.equal(readFileSync(join(root, 'Existing.txt'), 'utf8'), 'new');
  assert.deepEqual(readdirSync(root).sort(), ['.atomicfs', 'Existing.txt', 'back.txt', 'forward.txt', 'sub']);
  assert.deepEqual(leftovers(root), []);
  assert.deepEqual(journals(root), []);
  assert.deepEqual(await recover(root), { rolledBack: 0, rolledForward: 0, tempsRemoved: 0 });
});

test('one file in two spellings is refused; the state folder in any spelling is refused; a path outside is EOUTSIDEROOT', async () => {
  const root = await tmpDir();
  const tx = await transaction({ root });
  tx.writeFile(join(root, 'a.txt'), 'a');
  assert.throws(() => tx.writeFile(join(root, 'A.TXT'), 'A'), /already changed by this transaction/);
  assert.throws(() => tx.writeFile(join(root, '.atomicfs', 'x'), 'x'), /atomicfs's own state/);
  assert.throws(() => tx.writeFile(`${slashes(root)}/.ATOMICFS/x`, 'x'), /atomicfs's own state/);
  assert.throws(() => tx.writeFile(join(root, '..', 'outside.txt'), 'x'), { code: 'EOUTSIDEROOT' });
  await tx.rollback();
  await withTransaction(async (t) => void t.writeFile(join(root, 'w.txt'), 'w'), { root });
  assert.equal(readFileSync(join(root, 'w.txt'), 'utf8'), 'w');
});

test('guard restores files edited in place when the code throws', async () => {
  const root = await tmpDir();
  const f = join(root, 'g.txt');
  writeFileSync(f, 'original');
  await assert.rejects(
    guard(
      [slashes(f)],
      async () => {
        writeFileSync(f, 'half-edited');
        throw new Error('boom');
      },
      { root },
    ),
    /boom/,
  );
  assert.equal(readFileSync(f, 'utf8'), 'original');
  assert.deepEqual(journals(root), []);
});

test('backups and the audit trail with Windows paths', async () => {
  const root = await tmpDir();
  const store = new BackupStore(join(root, 'backups'));
  const audit = new AuditLog(join(root, 'audit.log'));
  const f = join(root, 'data', 'cfg.txt');
  mkdirSync(join(root, 'data'));
  const tx0 = await transaction({ root });
  tx0.writeFile(f, 'v1');
  await tx0.commit();
  const tx = await transaction({ root, backup: store, audit });
  tx.writeFile(slashes(f), 'v2');
  await tx.commit();
  const [latest] = await store.list();
  assert.ok(latest, 'a backup was made');
  await store.restore(latest.id);
  assert.equal(readFileSync(f, 'utf8'), 'v1');
  const entries = await audit.entries({ path: f });
  assert.equal(entries.length, 1);
  assert.equal(entries[0]!.files[0]!.path, f);
  assert.equal(
    (await audit.entries({ path: join(root, 'data') })).length,
    1,
    'a folder query finds the files under it',
  );
  assert.equal((await audit.entries({ path: slashes(join(root, 'DATA')) })).length, 1, 'in any spelling');
  assert.equal((await audit.verify()).ok, true);
});

const KILL_CHILD = fileURLToPath(new URL('../helpers/tx-kill-child.js', import.meta.url));
const FILES = 10;
const KILLS = sizeFromEnv('ATOMICFS_WINDOWS_KILLS', 4);

test(`${KILLS} commits SIGKILLed at random moments, then recover(): all files of one generation, nothing left`, async () => {
  const root = await tmpDir();
  const names = Array.from({ length: FILES }, (_, i) => join(root, `f${String(i).padStart(2, '0')}`));
  for (const n of names) writeFileSync(n, '0');
  let last = 0;
  for (let k = 0; k < KILLS; k++) {
    const child = spawn(process.execPath, [KILL_CHILD, root, String(FILES)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    await waitFor(child, 'loaded');
    const ready = waitFor(child, 'ready');
    child.stdin.write('go\n');
    await ready;
    await sleep(50 + Math.floor(Math.random() * 250));
    child.kill('SIGKILL');
    const [code, signal] = await exited;
    assert.ok(signal === 'SIGKILL' || code !== 0, `child ${k} was killed, not finished: ${stderr}`);
    await recover(root);
    const gens = names.map((n) => readFileSync(n, 'utf8'));
    assert.equal(new Set(gens).size, 1, `kill ${k}: all files of one generation, got ${gens.join(',')}`);
    const gen = Number(gens[0]);
    assert.ok(gen >= last, `kill ${k}: generation ${gen} went back from ${last}`);
    last = gen;
    assert.deepEqual(leftovers(root), [], `kill ${k}: no staged file`);
    assert.deepEqual(journals(root), [], `kill ${k}: no journal`);
    assert.deepEqual(locksLeft(root), [], `kill ${k}: no lock`);
    assert.deepEqual(owners(root), [], `kill ${k}: no lock owner file`);
  }
  assert.ok(last > 0, 'some transactions committed before the kills');
});

test('a lock is held across processes: another waits for it, or times out with ELOCKED', async () => {
  const dir = await tmpDir();
  const path = join(dir, 'locked.txt');
  const script = await childScript(
    dir,
    'hold-lock.mjs',
    `const release = await atomicfs.lock(process.argv[2]);
console.log('held');
await new Promise((r) => setTimeout(r, 400));
await release();
console.log('released');`,
  );
  const holder = run(script, [slashes(path).toUpperCase()]);
  await waitFor(holder.child, 'held');
  await assert.rejects(lock(path, { timeout: 0 }), LockError);
  const release = await lock(path, { timeout: 10_000 });
  const done = await holder.done;
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /released/);
  await release();
});

test('updateJson from three processes at once loses no update', async () => {
  const dir = await tmpDir();
  const file = join(dir, 'count.json');
  writeFileSync(file, '{"n":0}');
  const script = await childScript(
    dir,
    'count.mjs',
    `for (let i = 0; i < 10; i++) await atomicfs.updateJson(process.argv[2], (o) => ({ n: o.n + 1 }));`,
  );
  const runs = [run(script, [file]), run(script, [slashes(file)]), run(script, [file.toUpperCase()])];
  for (const r of runs) {
    const done = await r.done;
    assert.equal(done.code, 0, done.stderr);
  }
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { n: 30 });
});
