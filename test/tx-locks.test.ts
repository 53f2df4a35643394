/**
 * Locks across processes: transactions that share a file run one after the other,
 * disjoint ones at once, and opposite staging orders cannot deadlock (locks are taken in
 * one global order, sorted real paths).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transaction } from '../src/index.js';
import { run, waitFor } from './helpers/child.js';
import { sizeFromEnv, tmpDir } from './helpers/tmp.js';
import { journals, leftovers } from './helpers/tx-files.js';

const CHILD = fileURLToPath(new URL('./helpers/tx-lock-child.js', import.meta.url));

function child(root: string, tag: string, files: string[], holdMs: number, rounds = 1) {
  const events: string[] = [];
  const r = run(CHILD, [root, tag, files.join(','), String(holdMs), String(rounds)]);
  r.child.stdout?.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) if (line.startsWith('committed')) events.push(`${tag} ${line}`);
  });
  return { ...r, events };
}

async function rootWith(names: string[]): Promise<string> {
  const root = await tmpDir('atomicfs-txl-');
  for (const n of names) writeFileSync(join(root, n), 'initial');
  return root;
}

test('transactions sharing a file serialize across processes; the later one wins', { timeout: 120_000 }, async () => {
  const root = await rootWith(['a', 'b']);
  const order: string[] = [];
  const first = child(root, 'one', ['a', 'b'], 1500);
  await waitFor(first.child, 'holding');
  const second = child(root, 'two', ['b', 'a'], 0);
  const log = (tag: string) => () => order.push(tag);
  const [r1, r2] = await Promise.all([
    first.done.then((r) => (log('one')(), r)),
    second.done.then((r) => (log('two')(), r)),
  ]);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(r2.code, 0, r2.stderr);
  assert.deepEqual(order, ['one', 'two'], 'the second waited for the first');
  assert.equal(readFileSync(join(root, 'a'), 'utf8'), 'two:0');
  assert.equal(readFileSync(join(root, 'b'), 'utf8'), 'two:0');
  assert.deepEqual(leftovers(root), []);
  assert.deepEqual(journals(root), []);
});

test('disjoint transactions run at once', { timeout: 120_000 }, async () => {
  const root = await rootWith(['a', 'c']);
  const first = child(root, 'one', ['a'], 20_000);
  await waitFor(first.child, 'holding');
  const second = child(root, 'two', ['c'], 0);
  const r2 = await second.done;
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(readFileSync(join(root, 'c'), 'utf8'), 'two:0', 'committed while the other still holds its lock');
  assert.equal(readFileSync(join(root, 'a'), 'utf8'), 'initial');
  first.child.kill('SIGKILL');
  await first.done;
});

test('opposite staging orders in two processes: no deadlock, every round commits', { timeout: 120_000 }, async () => {
  const rounds = sizeFromEnv('ATOMICFS_TX_LOCK_ROUNDS', 15);
  const root = await rootWith(['a', 'b', 'c']);
  const p = child(root, 'p', ['a', 'b', 'c'], 0, rounds);
  const q = child(root, 'q', ['c', 'b', 'a'], 0, rounds);
  const [rp, rq] = await Promise.all([p.done, q.done]);
  assert.equal(rp.code, 0, rp.stderr);
  assert.equal(rq.code, 0, rq.stderr);
  assert.equal(p.events.length + q.events.length, 2 * rounds);
  const final = ['a', 'b', 'c'].map((n) => readFileSync(join(root, n), 'utf8'));
  assert.equal(new Set(final).size, 1, `one transaction's content in all three files: ${final.join(' ')}`);
});

test(
  'in one process: concurrent transactions with opposite orders both commit, one after the other',
  { timeout: 120_000 },
  async () => {
    const root = await rootWith(['a', 'b']);
    const t1 = await transaction({ root });
    const t2 = await transaction({ root });
    t1.writeFile(join(root, 'a'), '1').writeFile(join(root, 'b'), '1');
    t2.writeFile(join(root, 'b'), '2').writeFile(join(root, 'a'), '2');
    await Promise.all([t1.commit(), t2.commit()]);
    const a = readFileSync(join(root, 'a'), 'utf8');
    assert.equal(readFileSync(join(root, 'b'), 'utf8'), a);
  },
);
