/**
 * Transactions and guard with each disk call failing in turn (EIO, ENOSPC, EACCES,
 * persistent EMFILE; EXDEV on rename and link): the caller gets an AtomicError whose
 * cause chain carries the injected code; the files are all old or all new; after
 * `recover(root)` nothing staged or journaled is left; and the next transaction works.
 * The same with the synchronous calls: committed by `tx.commitSync()`, recovered by
 * `recoverSync()`, each fault hitting the simulated disk's synchronous twin.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { AtomicError } from '../src/index.js';
import { SimDisk } from './sim/sim-disk.js';
import { showError } from './sim/sim-errors.js';
import { filesUnder, isLockPath, type Files } from './sim/expect.js';
import { CODES, faultTable, type FaultRow } from './sim/faults.js';
import { missing, need } from './sim/ops.js';
import { ROOT, seedTx, type TxCase } from './sim/tx.js';
import { commitWay, EditError, txCases } from './sim/tx-cases.js';

const HANG_MS = 1000;

async function settle(p: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    await Promise.race([p, hang]);
    return undefined;
  } catch (err) {
    return err;
  } finally {
    clearTimeout(timer);
  }
}

function carries(err: unknown, code: string): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === code) return true;
  }
  return false;
}

function state(sim: SimDisk, c: TxCase): { files: Map<string, string>; strays: string[] } {
  return filesUnder(sim, ROOT, new Set(Object.keys(c.seed)), { ignore: isLockPath });
}

function same(files: Map<string, string>, expected: Files): boolean {
  return Object.entries(expected).every(([p, v]) => (files.get(p) ?? null) === v);
}

async function finalOf(c: TxCase): Promise<{ final: Files; sim: SimDisk }> {
  const sim = new SimDisk();
  seedTx(sim, c);
  await c.run(sim);
  const final: Files = {};
  for (const p of Object.keys(c.seed)) final[p] = sim.contentOf(p) ?? null;
  return { final, sim };
}

async function oneFault(
  c: TxCase,
  at: number,
  code: string,
  final: Files,
  sync: boolean,
): Promise<{ failed: boolean; problems: string[] }> {
  const sim = new SimDisk();
  seedTx(sim, c);
  sim.injectFault({ at, code, persistent: code === 'EMFILE' });
  const err = await settle(c.run(sim));
  sim.clearFaults();
  const problems: string[] = [];
  if (err !== undefined) {
    if (err instanceof EditError) {
      // The guarded code's own error, passed through as it must be.
      if (err.code !== code) problems.push(`the guarded code's error changed: ${showError(err)}`);
    } else if (!(err instanceof AtomicError)) problems.push(`not an AtomicError: ${showError(err)}`);
    else if (!carries(err, code)) problems.push(`the error does not carry ${code}: ${showError(err)}`);
  }
  let now = state(sim, c);
  if (err === undefined && !same(now.files, final)) problems.push(`resolved, but the files are not the new ones`);
  if (!same(now.files, c.seed) && !same(now.files, final))
    problems.push(`neither all old nor all new: ${JSON.stringify(Object.fromEntries(now.files))}`);
  const recovered = await settle(
    sync
      ? Promise.resolve().then(() => need('recoverSync')(ROOT, { disk: sim }))
      : need('recover')(ROOT, { disk: sim }),
  );
  if (recovered !== undefined) problems.push(`recover failed: ${showError(recovered)}`);
  now = state(sim, c);
  if (now.strays.length > 0) problems.push(`left behind after recover: ${now.strays.join(', ')}`);
  if (!same(now.files, c.seed) && !same(now.files, final)) problems.push(`after recover, neither all old nor all new`);
  // Folders the transaction made for its files: there with the new files, gone with the old.
  const isNew = !c.rollsBack && same(now.files, final);
  for (const d of c.newDirs ?? []) {
    if (isNew !== (sim.tree(ROOT).get(d)?.kind === 'dir'))
      problems.push(`after recover, folder ${d} is ${isNew ? 'missing' : 'left behind'}`);
  }
  if (same(now.files, c.seed)) {
    const again = await settle(c.run(sim));
    if (again !== undefined) problems.push(`the same transaction failed without a fault: ${showError(again)}`);
  }
  const first = Object.keys(c.seed)[0]!;
  const next = await settle(need('writeFile')(first, 'next', { disk: sim }));
  if (next !== undefined) problems.push(`the next write failed: ${showError(next)}`);
  const locked = await settle(need('lock')(first, { disk: sim, timeout: 150 }).then((release) => release()));
  if (locked !== undefined) problems.push(`the path stays locked: ${showError(locked)}`);
  return { failed: err !== undefined, problems };
}

const rows: FaultRow[] = [];
after(() => console.log(`\nInjected faults, transactions and guard:\n${faultTable(rows)}\n`));

for (const sync of [false, true]) {
  for (const [needs, c] of txCases) {
    // guard runs the caller's asynchronous code: it has no synchronous form.
    if (sync && !needs.includes('transaction')) continue;
    const skip = missing(...needs, 'writeFile', ...(sync ? (['recoverSync'] as const) : []));
    const name = sync ? `${c.name} (commitSync, recoverSync)` : c.name;
    test(`every disk call of the commit fails in turn: ${name}`, { skip }, async () => {
      commitWay.sync = sync;
      try {
        const { final, sim: clean } = await finalOf(c);
        const row: FaultRow = { name, calls: clean.callCount, injected: 0, failed: 0, absorbed: 0, problems: [] };
        rows.push(row);
        for (const call of clean.log) {
          for (const code of [...CODES, 'EXDEV']) {
            if (code === 'EXDEV' && call.op !== 'rename' && call.op !== 'link') continue;
            row.injected++;
            const { failed, problems } = await oneFault(c, call.n, code, final, sync);
            if (failed) row.failed++;
            else row.absorbed++;
            row.problems.push(
              ...problems.map((p) => `${name}: ${code} on call ${call.n} (${call.op} ${call.path}): ${p}`),
            );
          }
        }
        assert.deepEqual(row.problems.slice(0, 8), []);
      } finally {
        commitWay.sync = false;
      }
    });
  }
}
