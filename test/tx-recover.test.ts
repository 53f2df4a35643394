/**
 * Failures and crashes inside a commit, and recovery: injected errors at every disk call,
 * a simulated death at every disk call followed by recover(), damaged journals (EJOURNAL),
 * and journals of live owners left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { recover, transaction, TransactionError } from '../src/index.js';
import { HOST_TAG } from '../src/tx/owner.js';
import { tmpDir } from './helpers/tmp.js';
import { journals, leftovers, owners, snapshot } from './helpers/tx-files.js';
import { faultyDisk, type Call, type Fault } from './helpers/tx-disk.js';

const BEFORE = { 'a.txt': 'A0', 'b.txt': 'B0', 'gone.txt': 'G0', 'src.txt': 'S0' };
const AFTER = { 'a.txt': 'A1', 'b.txt': 'B1', 'dst.txt': 'S0', 'n.txt': 'N1' };

async function freshRoot(): Promise<string> {
  const root = await tmpDir('atomicfs-txr-');
  for (const [n, c] of Object.entries(BEFORE)) writeFileSync(join(root, n), c);
  return root;
}

/** The transaction under test: replace two files, create one, delete one, move one. */
async function runTx(root: string, fault?: Fault): Promise<{ result: 'ok' | TransactionError; calls: Call[] }> {
  const disk = faultyDisk(fault ?? { when: () => false });
  disk.armed = false; // faults are for the commit, not for the recovery transaction() runs first
  const tx = await transaction({ root, disk });
  disk.armed = true;
  tx.writeFile(join(root, 'a.txt'), 'A1')
    .writeFile(join(root, 'b.txt'), 'B1')
    .createFile(join(root, 'n.txt'), 'N1')
    .deleteFile(join(root, 'gone.txt'))
    .moveFile(join(root, 'src.txt'), join(root, 'dst.txt'));
  try {
    await tx.commit();
    return { result: 'ok', calls: disk.calls };
  } catch (err) {
    assert.ok(err instanceof TransactionError, `a TransactionError, got ${String(err)}`);
    assert.equal(err.code, 'ETXFAILED');
    return { result: err, calls: disk.calls };
  }
}

/** A dead process's locks are taken over; here the "dead" one is this process, so drop them. */
function dropLocks(root: string): void {
  for (const n of readdirSync(root)) if (n.endsWith('.atomicfs-lock')) rmSync(join(root, n), { recursive: true });
}

function assertClean(root: string): void {
  assert.deepEqual(leftovers(root), []);
  assert.deepEqual(journals(root), []);
  assert.deepEqual(owners(root), [], 'recovery removes the owner files of transactions that are over');
}

test('a failing rename while applying is undone: ETXFAILED, rolledBack, files as before', async () => {
  const root = await freshRoot();
  const { result } = await runTx(root, { when: (c) => c.op === 'rename' && c.to === join(root, 'b.txt'), code: 'EIO' });
  assert.ok(result instanceof TransactionError);
  assert.equal(result.rolledBack, true);
  assert.equal((result.cause as { code?: string }).code, 'EIO');
  assert.deepEqual(snapshot(root), BEFORE);
  assertClean(root);
});

test('the happy path leaves every file new', async () => {
  const root = await freshRoot();
  const { result, calls } = await runTx(root);
  assert.equal(result, 'ok');
  assert.ok(calls.length > 20);
  assert.deepEqual(snapshot(root), AFTER);
  assertClean(root);
});

test('an error (EIO, ENOSPC, EACCES, EMFILE) at each disk call in turn: old or new, all or nothing, nothing left after recover', async () => {
  const total = (await runTx(await freshRoot())).calls.length;
  const codes = ['EIO', 'ENOSPC', 'EACCES', 'EMFILE']; // EMFILE is transient: retried, then it succeeds
  for (let k = 0; k < total; k++) {
    {
      const code = codes[k % codes.length];
      const root = await freshRoot();
      let n = 0;
      const { result } = await runTx(root, { when: () => n++ === k, code });
      const what = `error ${code} at call ${k}`;
      if (result === 'ok') {
        // Only a failure past the point of no return can be swallowed, and none is.
        assert.deepEqual(snapshot(root), AFTER, what);
      } else if (result.rolledBack) {
        assert.deepEqual(snapshot(root), BEFORE, what);
      } else {
        dropLocks(root);
        await recover(root);
        const s = snapshot(root);
        assert.ok(
          JSON.stringify(s) === JSON.stringify(BEFORE) || JSON.stringify(s) === JSON.stringify(AFTER),
          `${what}: ${JSON.stringify(s)}`,
        );
      }
      dropLocks(root);
      assertClean(root);
    }
  }
});

test('a death at each disk call, then recover(): all old or all new; new once commit resolved', async () => {
  const total = (await runTx(await freshRoot())).calls.length;
  let forward = 0;
  let back = 0;
  for (let k = 0; k <= total; k++) {
    const root = await freshRoot();
    let n = 0;
    const { result } = await runTx(root, { when: () => n++ === k, crash: true });
    dropLocks(root);
    const report = await recover(root);
    forward += report.rolledForward;
    back += report.rolledBack;
    const s = snapshot(root);
    if (result === 'ok') assert.deepEqual(s, AFTER, `crash after call ${k}, commit resolved`);
    else
      assert.ok(
        JSON.stringify(s) === JSON.stringify(BEFORE) || JSON.stringify(s) === JSON.stringify(AFTER),
        `crash at call ${k}: ${JSON.stringify(s)}`,
      );
    assertClean(root);
  }
  assert.ok(forward > 0 && back > 0, `both directions exercised (forward ${forward}, back ${back})`);
});

/** Leaves a committed, unapplied transaction: the process "dies" at its first apply rename. */
async function committedJournal(): Promise<{
  root: string;
  journal: string;
  text: string;
  before: Record<string, string>;
}> {
  const root = await freshRoot();
  const { result } = await runTx(root, { when: (c) => c.op === 'rename' && c.to === join(root, 'a.txt'), crash: true });
  assert.ok(result instanceof TransactionError && !result.rolledBack);
  dropLocks(root);
  for (const n of owners(root)) rmSync(join(root, '.atomicfs', n)); // kept out of the comparisons below
  const [name] = journals(root);
  assert.ok(name);
  const journal = join(root, '.atomicfs', name);
  return { root, journal, text: readFileSync(journal, 'utf8'), before: snapshot(root) };
}

function allFiles(root: string): string[] {
  return readdirSync(root, { recursive: true }).map(String).sort();
}

test('a journal damaged after it was written: EJOURNAL, nothing touched; repaired, it rolls forward', async () => {
  const { root, journal, text } = await committedJournal();
  const files = allFiles(root);
  const content = snapshot(root);
  assert.deepEqual(content, BEFORE, 'committed but not applied yet');
  writeFileSync(journal, text.replace('a.txt', 'a.txu'));
  await assert.rejects(recover(root), { code: 'EJOURNAL' });
  await assert.rejects(transaction({ root }), { code: 'EJOURNAL' }, 'transaction() recovers first, and refuses too');
  assert.deepEqual(allFiles(root), files);
  assert.deepEqual(snapshot(root), content);
  writeFileSync(journal, text);
  assert.deepEqual(await recover(root), { rolledBack: 0, rolledForward: 1, tempsRemoved: 4 });
  assert.deepEqual(snapshot(root), AFTER);
  assertClean(root);
});

test('a journal naming a path outside its root (checksums forged to match): EJOURNAL, nothing touched', async () => {
  const outside = await tmpDir('atomicfs-outside-');
  writeFileSync(join(outside, 'victim'), 'safe');
  const { root, journal, text } = await committedJournal();
  const [intent] = text.split('\n');
  const forged = intent!.replace(JSON.stringify(join(root, 'gone.txt')), JSON.stringify(join(outside, 'victim')));
  assert.notEqual(forged, intent);
  const sha = createHash('sha256')
    .update(forged + '\n')
    .digest('hex');
  writeFileSync(journal, `${forged}\n${JSON.stringify({ mark: 'commit', sha256: sha })}\n`);
  const files = allFiles(root);
  await assert.rejects(
    recover(root),
    (err: unknown) => (err as { code?: string }).code === 'EJOURNAL' && /outside/.test((err as Error).message),
  );
  assert.deepEqual(allFiles(root), files);
  assert.equal(readFileSync(join(outside, 'victim'), 'utf8'), 'safe');
});

test('a torn commit record is no commit: recover rolls back', async () => {
  const { root, journal, text } = await committedJournal();
  const [intent, mark] = text.split('\n');
  writeFileSync(journal, `${intent}\n${mark!.slice(0, 20)}`);
  const report = await recover(root);
  assert.equal(report.rolledBack, 1);
  assert.deepEqual(snapshot(root), BEFORE);
  assertClean(root);
});

test('a torn intent (its sync never returned): the journal is dropped', async () => {
  const root = await freshRoot();
  const id = `${HOST_TAG}-999999-00000000-000000000000`;
  writeFileSync(join(root, '.atomicfs-x'), '');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(root, '.atomicfs'));
  writeFileSync(join(root, '.atomicfs', `${id}.journal`), '{"v":1,"type":"tx","id":"' + id.slice(0, 10));
  rmSync(join(root, '.atomicfs-x'));
  assert.deepEqual(await recover(root), { rolledBack: 1, rolledForward: 0, tempsRemoved: 0 });
  assert.deepEqual(snapshot(root), BEFORE);
  assertClean(root);
});

test('a journal whose owner is alive is left alone', async () => {
  const { root, journal, text } = await committedJournal();
  // The same journal, as if owned by a live process on this host (our parent).
  const live = join(root, '.atomicfs', `${HOST_TAG}-${process.ppid}-00000000-000000000000.journal`);
  const liveText = text.replaceAll(/"id":"[^"]+"/g, `"id":"${HOST_TAG}-${process.ppid}-00000000-000000000000"`);
  rmSync(journal);
  writeFileSync(live, liveText);
  const files = allFiles(root);
  assert.deepEqual(await recover(root), { rolledBack: 0, rolledForward: 0, tempsRemoved: 0 });
  assert.deepEqual(allFiles(root), files);
});
