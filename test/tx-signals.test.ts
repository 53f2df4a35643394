/** handleSignals(): opt-in; SIGTERM/SIGINT roll back what has not committed, then the process dies by the signal. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handleSignals, transaction } from '../src/index.js';
import { run, waitFor } from './helpers/child.js';
import { tmpDir } from './helpers/tmp.js';
import { journals, leftovers, snapshot } from './helpers/tx-files.js';

const CHILD = fileURLToPath(new URL('./helpers/tx-guard-child.js', import.meta.url));

async function rootWith(files: Record<string, string>): Promise<string> {
  const root = await tmpDir('atomicfs-txs-');
  for (const [n, c] of Object.entries(files)) writeFileSync(join(root, n), c);
  return root;
}

test('the library installs no signal handler by itself; handleSignals() installs and uninstalls', async () => {
  const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
  const root = await rootWith({});
  const tx = await transaction({ root });
  tx.writeFile(join(root, 'a'), 'a');
  await tx.commit();
  assert.deepEqual({ int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') }, before);
  const uninstall = handleSignals();
  assert.equal(process.listenerCount('SIGTERM'), before.term + 1);
  uninstall();
  assert.equal(process.listenerCount('SIGTERM'), before.term);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} during a transaction before its commit point: rolled back, staged files removed, dies by ${signal}`, async () => {
    const root = await rootWith({ 'a.txt': 'A', 'b.txt': 'B' });
    const { child, done } = run(CHILD, ['tx', root, 'a.txt,b.txt', 'signals']);
    await waitFor(child, 'holding');
    child.kill(signal);
    const exit = await done;
    assert.equal(exit.signal, signal, exit.stderr);
    assert.deepEqual(snapshot(root), { 'a.txt': 'A', 'b.txt': 'B' });
    assert.deepEqual(leftovers(root), []);
    assert.deepEqual(journals(root), [], 'rolled back by the handler, not left for recover');
  });
}

test('SIGTERM during guard: the originals are restored before the process dies', async () => {
  const root = await rootWith({ 'a.conf': 'A' });
  const { child, done } = run(CHILD, ['guard', root, 'a.conf', 'signals']);
  await waitFor(child, 'editing');
  child.kill('SIGTERM');
  const exit = await done;
  assert.equal(exit.signal, 'SIGTERM', exit.stderr);
  assert.deepEqual(snapshot(root), { 'a.conf': 'A' });
  assert.deepEqual(leftovers(root), []);
  assert.deepEqual(journals(root), []);
});
