/**
 * Races across real processes: N processes createFile one path at the same moment
 * (exactly one wins, the others get EEXIST, the content is the winner's), and N
 * processes writeFile one path over and over (the result is always one whole version).
 * Sizes: ATOMICFS_RACE_PROCS (default 6), ATOMICFS_RACE_ROUNDS (default 5).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sizeFromEnv, tmpDir } from './helpers/tmp.js';

const CHILD = fileURLToPath(new URL('./helpers/file-race-child.js', import.meta.url));
const PROCS = sizeFromEnv('ATOMICFS_RACE_PROCS', 6);
const ROUNDS = sizeFromEnv('ATOMICFS_RACE_ROUNDS', 5);

interface Outcome {
  id: string;
  ok: boolean;
  code?: string;
  message?: string;
}

interface Racer {
  child: ChildProcessByStdio<Writable, Readable, null>;
  lines: AsyncIterator<string>;
}

const racers: Racer[] = [];
after(() => {
  for (const r of racers) r.child.stdin.end();
});

async function nextLine(r: Racer): Promise<string> {
  const next: IteratorResult<string, unknown> = await r.lines.next();
  if (next.done) throw new Error('racer exited');
  return next.value;
}

/** Starts the racers once, and waits until every one has loaded the package. */
async function startRacers(): Promise<Racer[]> {
  if (racers.length) return racers;
  for (let i = 0; i < PROCS; i++) {
    const child = spawn(process.execPath, [CHILD, String.fromCharCode(97 + i)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const rl: Interface = createInterface({ input: child.stdout });
    racers.push({ child, lines: rl[Symbol.asyncIterator]() });
  }
  for (const r of racers) assert.equal(await nextLine(r), 'ready');
  return racers;
}

/** Sends one command to every racer at once; resolves to their outcomes. */
async function race(command: string): Promise<Outcome[]> {
  const all = await startRacers();
  for (const r of all) r.child.stdin.write(`${command}\n`);
  return Promise.all(all.map(async (r) => JSON.parse(await nextLine(r)) as Outcome));
}

test(`${PROCS} processes createFile one path at once: exactly one wins, the rest get EEXIST`, async () => {
  const dir = await tmpDir();
  for (let round = 0; round < ROUNDS; round++) {
    const p = join(dir, `f${round}`);
    const outcomes = await race(`create ${p}`);
    const winners = outcomes.filter((o) => o.ok);
    assert.equal(winners.length, 1, JSON.stringify(outcomes));
    for (const o of outcomes.filter((x) => !x.ok)) {
      assert.equal(o.code, 'EEXIST', o.message);
      assert.ok(o.message?.includes(p), o.message);
    }
    const content = await readFile(p, 'utf8');
    assert.ok(content.startsWith(`${winners[0]!.id}:0:`), `the winner's content (${content.slice(0, 8)})`);
    assert.equal(content.length, 64 * 1024);
  }
  assert.deepEqual((await readdir(dir)).sort(), Array.from({ length: ROUNDS }, (_, r) => `f${r}`).sort());
});

test(`${PROCS} processes writeFile one path repeatedly: always one whole version, no temp left`, async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  const outcomes = await race(`write ${p} ${4 * ROUNDS}`);
  assert.ok(
    outcomes.every((o) => o.ok),
    JSON.stringify(outcomes),
  );
  const content = await readFile(p, 'utf8');
  const [id, round] = content.split(':');
  assert.ok(content === `${id}:${round}:`.padEnd(64 * 1024, id), `one whole version (${content.slice(0, 8)})`);
  assert.deepEqual(await readdir(dir), ['f']);
});
