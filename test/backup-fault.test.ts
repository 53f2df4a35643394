/**
 * Injected errors (docs/CRASH-MODEL.md, test 2) for backups, the audit log and upkeep: every disk call
 * fails in turn with EIO, ENOSPC, EACCES and EMFILE (persistent, so retries run out). The
 * caller gets an AtomicError with that code, the files are as before, no unfinished backup
 * or temporary file is left, and the next call works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AtomicError, AuditLog, BackupStore, mergeConfigs, rotateFile, writeFile, type Disk } from '../src/index.js';
import { SimDisk } from './sim/sim-disk.js';

const CODES = ['EIO', 'ENOSPC', 'EACCES', 'EMFILE'] as const;
const RETRY = { attempts: 2, maxDelayMs: 1 };

interface FaultCase {
  name: string;
  seed(sim: SimDisk): void;
  run(disk: Disk): Promise<unknown>;
  /** A problem with the state after a failure at `call`, or undefined. */
  afterFailure(sim: SimDisk, call: string): string | undefined;
  /** A problem with the state after the clean re-run, or undefined. */
  final(sim: SimDisk): string | undefined;
}

/** Leftovers: temporary or staged files, and backup folders without a manifest. */
function leftovers(sim: SimDisk): string[] {
  const out: string[] = [];
  const tree = sim.tree('/');
  for (const [p, e] of tree) {
    if (/atomicfs-(tmp|stage)$/.test(p)) out.push(p);
    if (e.kind === 'dir' && /\/\.b\/\d{8}T\d{9}Z-[0-9a-f]{8}$/.test(p) && !tree.has(`${p}/manifest.json`))
      out.push(`${p} (unfinished backup)`);
  }
  return out;
}

/** In this one process the failed run's pid lives on: drop lock records it could not remove. */
function dropLockRecords(sim: SimDisk): Promise<void[]> {
  const records = [...sim.tree('/')]
    .filter(([p, e]) => e.kind === 'file' && p.includes('.atomicfs-lock/'))
    .map(([p]) => p);
  return Promise.all(records.map((p) => sim.unlink(p)));
}

async function explore(c: FaultCase): Promise<{ calls: number; failed: number; absorbed: number; problems: string[] }> {
  const clean = new SimDisk();
  c.seed(clean);
  await c.run(clean);
  const problems: string[] = [];
  let failed = 0;
  let absorbed = 0;
  for (const call of clean.log) {
    for (const code of CODES) {
      const where = `${code} on call ${call.n} (${call.op} ${call.path})`;
      const sim = new SimDisk();
      c.seed(sim);
      sim.injectFault({ at: call.n, code, persistent: code === 'EMFILE' });
      let error: unknown;
      try {
        await c.run(sim);
      } catch (err) {
        error = err;
      }
      sim.clearFaults();
      if (error === undefined) {
        absorbed++;
      } else {
        failed++;
        if (!(error instanceof AtomicError) || error.code !== code)
          problems.push(`${where}: wrong error ${error instanceof Error ? error.message : JSON.stringify(error)}`);
        const p = c.afterFailure(sim, call.op);
        if (p) problems.push(`${where}: ${p}`);
        const left = leftovers(sim);
        if (left.length) problems.push(`${where}: left behind ${left.join(', ')}`);
      }
      await dropLockRecords(sim);
      try {
        await c.run(sim);
        const p = c.final(sim);
        if (p) problems.push(`${where}, run again: ${p}`);
      } catch (err) {
        problems.push(`${where}: the run again failed: ${String(err)}`);
      }
    }
  }
  return { calls: clean.callCount, failed, absorbed, problems };
}

const T = '/data/t.txt';

const cases: FaultCase[] = [
  {
    name: 'writeFile with a backup',
    seed: (sim) => sim.seedFile(T, 'old'),
    run: (disk) => writeFile(T, 'new', { disk, retry: RETRY, backup: new BackupStore('/data/.b', { disk }) }),
    // A failing directory sync comes after the rename: the change is made, not yet durable.
    afterFailure: (sim, op) =>
      sim.contentOf(T) === 'old' || op === 'syncDir' ? undefined : `target changed: ${sim.contentOf(T)}`,
    final: (sim) => {
      if (sim.contentOf(T) !== 'new') return 'not new';
      const kept = [...sim.tree('/data/.b')].filter(([p, e]) => e.kind === 'file' && p.endsWith('/files/data/t.txt'));
      return kept.some(([p]) => sim.contentOf(p) === 'old') ? undefined : 'no backup of the old content';
    },
  },
  {
    name: 'AuditLog.record',
    seed: (sim) => {
      sim.seedDir('/data');
    },
    run: (disk) => new AuditLog('/data/audit.log', { disk }).record({ operation: 'x', outcome: 'ok', files: [] }),
    afterFailure: () => undefined,
    final: (sim) => {
      const lines = (sim.contentOf('/data/audit.log') ?? '').split('\n');
      // header, at least one entry, then the final newline; every line whole.
      if (lines.length < 3 || lines.at(-1) !== '') return `log: ${JSON.stringify(sim.contentOf('/data/audit.log'))}`;
      return lines.slice(0, -1).every((l) => l.startsWith('{') && l.endsWith('}')) ? undefined : 'a torn line';
    },
  },
  {
    name: 'rotateFile (compress)',
    seed: (sim) => {
      sim.seedFile('/data/app.log', 'live');
      sim.seedFile('/data/app.log.1', 'prev');
    },
    run: (disk) => rotateFile('/data/app.log', { maxFiles: 2, compress: true, disk }),
    afterFailure: (sim) => {
      const all = ['/data/app.log', '/data/app.log.1', '/data/app.log.1.gz', '/data/app.log.2', '/data/app.log.2.gz']
        .map((p) => sim.contentOf(p))
        .filter((x) => x !== undefined);
      return all.length >= 2 ? undefined : `a file was lost: ${JSON.stringify(all)}`;
    },
    final: (sim) => {
      const gz = (p: string): string | undefined => {
        const e = sim.tree(posix.dirname(p)).get(p);
        return e?.kind === 'file' ? gunzipSync(e.data).toString() : undefined;
      };
      const got = [
        sim.contentOf('/data/app.log'),
        gz('/data/app.log.1.gz'),
        gz('/data/app.log.2.gz'),
        sim.contentOf('/data/app.log.1'),
      ];
      return JSON.stringify(got) === JSON.stringify([undefined, 'live', 'prev', undefined])
        ? undefined
        : `files: ${JSON.stringify(got)}`;
    },
  },
  {
    name: 'mergeConfigs',
    seed: (sim) => {
      sim.seedFile('/data/a.json', '{"x":{"y":1}}');
      sim.seedFile('/data/b.yaml', 'x:\n  z: 2\n');
      sim.seedFile('/data/out.json', '{"before":true}\n');
    },
    run: (disk) =>
      mergeConfigs(['/data/a.json', '/data/b.yaml'], '/data/out.json', { strategy: 'deep', disk, retry: RETRY }),
    afterFailure: (sim, op) =>
      sim.contentOf('/data/out.json') === '{"before":true}\n' || op === 'syncDir' ? undefined : 'output changed',
    final: (sim) =>
      sim.contentOf('/data/out.json') === '{\n  "x": {\n    "y": 1,\n    "z": 2\n  }\n}\n'
        ? undefined
        : `output: ${sim.contentOf('/data/out.json')}`,
  },
];

for (const c of cases) {
  test(`every disk call fails in turn: ${c.name}`, async () => {
    const r = await explore(c);
    assert.ok(r.calls > 0 && r.failed > 0);
    assert.deepEqual(r.problems.slice(0, 6), []);
  });
}
