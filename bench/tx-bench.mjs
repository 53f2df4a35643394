// Benchmark (issue 3): one 100-file transaction (4 KiB each) against 100 sequential
// durable writeFile calls and against the same 100 writes with write-file-atomic.
// Goal: the transaction costs at most half of the 100 sequential durable writes, since
// it syncs the staged files in parallel and each directory once.
//
//   npm run build && node bench/tx-bench.mjs [rounds]
//
// Runs on the project's own disk (under .bench-work/, not tmpfs). write-file-atomic is
// taken from the harness copy .bench-harness/ that `npm run bench` installs (or ATOMICFS_BENCH_SCRATCH), else from
// a normal import; without it, that column is skipped with a note.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transaction, writeFile } from '../dist/src/index.js';

const FILES = 100;
const SIZE = 4096;
const rounds = Number(process.argv[2] ?? 7);
const here = dirname(fileURLToPath(import.meta.url));
const work = resolve(here, '..', '.bench-work', 'tx');

async function loadWfa() {
  const scratch = process.env.ATOMICFS_BENCH_SCRATCH ?? resolve(here, '..', '.bench-harness');
  for (const spec of [
    pathToFileURL(join(scratch, 'node_modules', 'write-file-atomic', 'lib', 'index.js')).href,
    'write-file-atomic',
  ]) {
    try {
      const mod = await import(spec);
      return mod.default ?? mod;
    } catch {
      // try the next place
    }
  }
  return undefined;
}

function freshDir(name) {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // Existing files: each write replaces one, as in real use.
  for (let i = 0; i < FILES; i++) writeFileSync(join(dir, `f${i}.dat`), 'old');
  // Flush the set-up outside the timing, or the first fsync measured pays for it.
  spawnSync('sync', ['-f', dir]);
  return dir;
}

const data = (round, i) => Buffer.alloc(SIZE, `${round}:${i};`);

async function time(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const wfa = await loadWfa();
const results = { transaction: [], writeFile: [], wfa: [] };
const cells = {
  transaction: async (r) => {
    const txDir = freshDir('tx');
    return time(async () => {
      const tx = await transaction({ root: txDir });
      for (let i = 0; i < FILES; i++) tx.writeFile(join(txDir, `f${i}.dat`), data(r, i));
      await tx.commit();
    });
  },
  writeFile: async (r) => {
    const seqDir = freshDir('seq');
    return time(async () => {
      for (let i = 0; i < FILES; i++) await writeFile(join(seqDir, `f${i}.dat`), data(r, i));
    });
  },
  wfa: async (r) => {
    const wDir = freshDir('wfa');
    return time(async () => {
      for (let i = 0; i < FILES; i++) await wfa(join(wDir, `f${i}.dat`), data(r, i));
    });
  },
};
const order = Object.keys(cells).filter((k) => k !== 'wfa' || wfa);
const ratios = [];
for (let r = 0; r < rounds; r++) {
  // A rotating start, as the shared harness does, so drift hits every cell alike.
  for (let j = 0; j < order.length; j++) {
    const k = order[(r + j) % order.length];
    results[k].push(await cells[k](r));
  }
  ratios.push(results.transaction[r] / results.writeFile[r]);
  const row = [
    `round ${r + 1}`,
    `tx ${results.transaction[r].toFixed(1)} ms`,
    `writeFile x${FILES} ${results.writeFile[r].toFixed(1)} ms`,
  ];
  if (wfa) row.push(`write-file-atomic x${FILES} ${results.wfa[r].toFixed(1)} ms`);
  console.log(row.join('  '));
}
rmSync(work, { recursive: true, force: true });

const tx = median(results.transaction);
const seq = median(results.writeFile);
console.log(`\nmedians over ${rounds} rounds (${FILES} files x ${SIZE} B, ${work}):`);
console.log(`  transaction (1 commit)            ${tx.toFixed(1)} ms`);
console.log(
  `  ${FILES} sequential durable writeFile  ${seq.toFixed(1)} ms   ratio tx/writeFile = ${(tx / seq).toFixed(3)} (goal <= 0.5); median of per-round ratios ${median(ratios).toFixed(3)}`,
);
if (wfa) {
  const w = median(results.wfa);
  console.log(
    `  ${FILES} sequential write-file-atomic  ${w.toFixed(1)} ms   ratio tx/write-file-atomic = ${(tx / w).toFixed(3)}`,
  );
} else {
  console.log('  write-file-atomic: not found (no /work/bench-scratch copy, no installed package): skipped');
}
