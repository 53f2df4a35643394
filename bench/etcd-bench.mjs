// Benchmark (issue 17): what the etcd coordinator costs. Lock + release of one path, and
// one 10-file transaction (4 KiB each), with the coordinator against without, as ratios
// of medians from one run.
//
//   npm run build && npm run build:test && node bench/etcd-bench.mjs [rounds]
//
// Starts its own three-member cluster on loopback (Debian's etcd-server, /usr/bin/etcd),
// or uses ATOMICFS_ETCD_ENDPOINTS (comma-separated) if set. Runs on the project's own disk
// (under .bench-work/, not tmpfs); etcd's data folders are in the temporary folder.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lock, transaction } from '../dist/src/index.js';
import { etcdCoordinator } from '../dist/src/etcd/index.js';
import { EtcdCluster } from '../dist/test/helpers/etcd-cluster.js';

const rounds = Number(process.argv[2] ?? 200);
const FILES = 10;
const SIZE = 4096;
const here = dirname(fileURLToPath(import.meta.url));
const work = resolve(here, '..', '.bench-work', 'etcd');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(n, fn) {
  for (let i = 0; i < Math.min(10, n); i++) await fn(i); // warm-up
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(ms);
}

function folder(name) {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < FILES; i++) writeFileSync(join(dir, `f${i}`), Buffer.alloc(SIZE, 1));
  return dir;
}

async function measure(coordinator, tag) {
  const dir = folder(tag);
  const lockMs = await timed(rounds, async () => (await lock(join(dir, 'f0'), { coordinator }))());
  const data = Buffer.alloc(SIZE, 2);
  const commitMs = await timed(Math.max(20, Math.floor(rounds / 4)), async () => {
    const tx = await transaction({ root: dir, coordinator });
    for (let i = 0; i < FILES; i++) tx.writeFile(join(dir, `f${i}`), data);
    await tx.commit();
  });
  return { lockMs, commitMs };
}

const given = process.env.ATOMICFS_ETCD_ENDPOINTS;
const cluster = given ? undefined : await EtcdCluster.start();
const coordinator = etcdCoordinator({
  endpoints: given ? given.split(',') : cluster.endpoints,
  leaseMs: 10_000,
  prefix: 'atomicfs-bench/',
});
try {
  const plain = await measure(undefined, 'plain');
  const coordinated = await measure(coordinator, 'etcd');
  const f = (x) => x.toFixed(2);
  console.log(`rounds: ${rounds} lock+release, ${Math.max(20, Math.floor(rounds / 4))} commits of ${FILES} files`);
  console.log(
    `lock+release   without ${f(plain.lockMs)} ms   with etcd ${f(coordinated.lockMs)} ms   ratio ${f(coordinated.lockMs / plain.lockMs)}`,
  );
  console.log(
    `10-file commit without ${f(plain.commitMs)} ms   with etcd ${f(coordinated.commitMs)} ms   ratio ${f(coordinated.commitMs / plain.commitMs)}`,
  );
} finally {
  await coordinator.close();
  await cluster?.stop();
  rmSync(work, { recursive: true, force: true });
}
