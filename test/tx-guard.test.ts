/** guard(): originals restored when the code throws or the process dies; kept edits when it resolves. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { guard, recover } from '../src/index.js';
import { run, waitFor } from './helpers/child.js';
import { tmpDir } from './helpers/tmp.js';
import { journals, leftovers, snapshot } from './helpers/tx-files.js';

const CHILD = fileURLToPath(new URL('./helpers/tx-guard-child.js', import.meta.url));

async function rootWith(files: Record<string, string>): Promise<string> {
  const root = await tmpDir('atomicfs-txg-');
  for (const [n, c] of Object.entries(files)) writeFileSync(join(root, n), c);
  return root;
}

function assertClean(root: string): void {
  assert.deepEqual(leftovers(root), []);
  assert.deepEqual(journals(root), []);
}

test('guard: fn throws → originals restored (content and mode), files it created removed', async () => {
  const root = await rootWith({ 'a.conf': 'A', 'b.conf': 'B' });
  chmodSync(join(root, 'a.conf'), 0o640);
  await assert.rejects(
    guard(
      [join(root, 'a.conf'), join(root, 'b.conf'), join(root, 'new.conf')],
      async () => {
        writeFileSync(join(root, 'a.conf'), 'broken');
        writeFileSync(join(root, 'new.conf'), 'x');
        chmodSync(join(root, 'a.conf'), 0o600);
        throw new Error('tool failed');
      },
      { root },
    ),
    /tool failed/,
  );
  assert.deepEqual(snapshot(root), { 'a.conf': 'A', 'b.conf': 'B' });
  assert.equal(statSync(join(root, 'a.conf')).mode & 0o777, 0o640);
  assertClean(root);
});

test('guard: fn resolves → its edits stay, its result is returned, nothing left', async () => {
  const root = await rootWith({ 'a.conf': 'A' });
  const out = await guard(
    [join(root, 'a.conf')],
    () => {
      writeFileSync(join(root, 'a.conf'), 'A2');
      return 'done';
    },
    { root },
  );
  assert.equal(out, 'done');
  assert.deepEqual(snapshot(root), { 'a.conf': 'A2' });
  assertClean(root);
});

test('guard: paths outside the root are refused before fn runs', async () => {
  const outside = await tmpDir('atomicfs-outside-');
  const root = await rootWith({});
  symlinkSync(outside, join(root, 'out'));
  let ran = false;
  for (const p of [join(root, '..', 'x'), join(root, 'out', 'x')]) {
    await assert.rejects(
      guard([p], () => void (ran = true), { root }),
      { code: 'EOUTSIDEROOT' },
    );
  }
  assert.equal(ran, false);
});

test('guard: SIGKILL while fn edits in place → recover() restores the originals', async () => {
  const root = await rootWith({ 'a.conf': 'A', 'b.conf': 'B' });
  const { child, done } = run(CHILD, ['guard', root, 'a.conf,b.conf,c.conf']);
  await waitFor(child, 'editing');
  assert.equal(readFileSync(join(root, 'a.conf'), 'utf8'), 'half-edited by the child');
  child.kill('SIGKILL');
  await done;
  const report = await recover(root);
  assert.equal(report.rolledBack, 1);
  assert.deepEqual(snapshot(root), { 'a.conf': 'A', 'b.conf': 'B' });
  assert.equal(existsSync(join(root, 'c.conf')), false);
  assertClean(root);
});
