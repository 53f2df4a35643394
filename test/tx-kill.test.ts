/**
 * docs/CRASH-MODEL.md test 3, real kills: a child loops transactions over 20 files, each writing one
 * generation number into all of them; the parent SIGKILLs it at random moments, runs
 * recover(), and checks that all 20 files hold the same generation, that no committed
 * generation was lost, and that no staged file, journal, lock or lock owner file is left.
 * ATOMICFS_KILLS sets the number of kills (default 25).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { recover } from '../src/index.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { waitFor } from './helpers/child.js';
import { sizeFromEnv, tmpDir } from './helpers/tmp.js';
import { journals, leftovers, locksLeft, owners } from './helpers/tx-files.js';

const CHILD = fileURLToPath(new URL('./helpers/tx-kill-child.js', import.meta.url));
const FILES = 20;
const KILLS = sizeFromEnv('ATOMICFS_KILLS', 25);

/** A loaded child, waiting for the word to start: node's start-up is paid while the previous child runs. */
function preload(root: string) {
  const child = spawn(process.execPath, [CHILD, root, String(FILES)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const loaded = waitFor(child, 'loaded');
  loaded.catch(() => undefined);
  return { child, loaded, exited, stderr: () => stderr };
}

test(`real kills: ${KILLS} SIGKILLs during transactions over ${FILES} files`, { timeout: 60 * 60_000 }, async () => {
  const root = await tmpDir('atomicfs-kill-');
  const names = Array.from({ length: FILES }, (_, i) => join(root, `f${String(i).padStart(2, '0')}`));
  for (const n of names) writeFileSync(n, '0');
  let last = 0;
  const totals = { rolledBack: 0, rolledForward: 0, tempsRemoved: 0 };
  let next = preload(root);
  for (let k = 0; k < KILLS; k++) {
    const current = next;
    await current.loaded.catch((err: unknown) => {
      throw new Error(`child ${k} failed to start: ${String(err)}\n${current.stderr()}`);
    });
    const ready = waitFor(current.child, 'ready');
    current.child.stdin.write('go\n');
    await ready;
    if (k + 1 < KILLS) next = preload(root);
    // Random moments within the first few commits (each takes tens to hundreds of ms).
    await sleep(Math.floor(Math.random() * 500));
    current.child.kill('SIGKILL');
    const [, signal] = await current.exited;
    assert.equal(signal, 'SIGKILL', `child ${k} died by our kill, not by itself: ${current.stderr()}`);
    const report = await recover(root);
    for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += report[key];
    const gens = names.map((n) => readFileSync(n, 'utf8'));
    assert.equal(new Set(gens).size, 1, `kill ${k}: all files hold one generation, got ${gens.join(',')}`);
    const gen = Number(gens[0]);
    assert.ok(gen >= last, `kill ${k}: generation ${gen} went back from ${last}`);
    last = gen;
    assert.deepEqual(leftovers(root), [], `kill ${k}: no staged file remains`);
    assert.deepEqual(journals(root), [], `kill ${k}: no journal remains`);
    assert.deepEqual(locksLeft(root), [], `kill ${k}: the dead transaction's locks are cleared`);
    assert.deepEqual(owners(root), [], `kill ${k}: no lock owner file remains`);
  }
  assert.ok(last > 0, 'some transactions committed');
  console.log(`# ${KILLS} kills, ${last} generations committed, recovery: ${JSON.stringify(totals)}`);
});
