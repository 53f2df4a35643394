/**
 * Several "hosts" sharing one folder, coordinated by a real three-member etcd cluster.
 * Each host is a process in its own PID and UTS namespaces (unshare, as root) with the
 * same host name, so every host is pid 1 on host "host": exactly what containers look
 * like, and exactly what pid-based liveness cannot tell apart.
 *
 * ATOMICFS_ETCD_COUNT sets the counter's increments (default 500), ATOMICFS_ETCD_KILLS the
 * kill rounds (default 6). Without etcd, root or unshare the tests skip, saying why, unless
 * ATOMICFS_REQUIRE_ETCD=1 (CI), which makes that a failure.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { guard, lock, recover, transaction, updateJson } from '../src/index.js';
import { etcdCoordinator } from '../src/etcd/index.js';
import { EtcdCluster, skipUnlessEtcd } from './helpers/etcd-cluster.js';
import { sizeFromEnv, tmpDir } from './helpers/tmp.js';
import { journals, leftovers, snapshot } from './helpers/tx-files.js';

const HOST = fileURLToPath(new URL('./helpers/etcd-host.js', import.meta.url));
const COUNT = sizeFromEnv('ATOMICFS_ETCD_COUNT', 500);
const KILLS = sizeFromEnv('ATOMICFS_ETCD_KILLS', 6);
// Short, since several tests wait for a lease to run out; long enough that a loaded
// machine's keepalives still get through (a lost lease would fail a live host's commit).
const LEASE_MS = 3000;
const skip = skipUnlessEtcd(true);

let cluster: EtcdCluster | undefined;
before(async () => {
  if (!skip) cluster = await EtcdCluster.start();
});
const spawned: Host[] = [];
after(async () => {
  // A failed test may leave a host stopped: end them all (each its own process group).
  for (const h of spawned) {
    if (h.child.exitCode === null && h.child.signalCode === null) h.signal('SIGKILL');
  }
  await cluster?.stop();
});

function endpoints(): string[] {
  if (!cluster) throw new Error('no cluster');
  return cluster.endpoints;
}

type Line = Record<string, unknown>;

interface Host {
  child: ChildProcess;
  lines: Line[];
  /** Resolves with the first line that `pred` accepts. */
  line(pred: (l: Line) => boolean): Promise<Line>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Signals every process of the host (unshare, and the node process that is its pid 1). */
  signal(sig: NodeJS.Signals): void;
}

function host(command: string, opts: object, leaseMs = LEASE_MS): Host {
  const args = JSON.stringify({ ...opts, endpoints: endpoints(), leaseMs });
  const child = spawn(
    'unshare',
    [
      '--pid',
      '--fork',
      '--mount-proc',
      '--uts',
      'sh',
      '-c',
      'hostname host && exec "$0" "$@"',
      process.execPath,
      HOST,
      command,
      args,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: Line[] = [];
  const waiters: { pred: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const l = JSON.parse(buffered.slice(0, nl)) as Line;
      buffered = buffered.slice(nl + 1);
      lines.push(l);
      for (const w of [...waiters]) {
        if (!w.pred(l)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  const h: Host = {
    child,
    lines,
    exited,
    line: (pred) => {
      const seen = lines.find(pred);
      if (seen) return Promise.resolve(seen);
      return Promise.race([
        new Promise<Line>((resolve) => waiters.push({ pred, resolve })),
        exited.then(({ stderr: e }) => {
          throw new Error(`host ${command} exited without the line awaited; output: ${JSON.stringify(lines)} ${e}`);
        }),
      ]);
    },
    signal: (sig) => {
      if (child.pid !== undefined) process.kill(-child.pid, sig);
    },
  };
  spawned.push(h);
  return h;
}

async function finished(h: Host): Promise<Line> {
  const { code, stderr } = await h.exited;
  assert.equal(code, 0, `host exited ${String(code)}: ${stderr}`);
  const last = h.lines[h.lines.length - 1];
  assert.ok(last, `host printed nothing: ${stderr}`);
  return last;
}

async function folder(n: number, value: string): Promise<{ root: string; files: string[] }> {
  const root = await tmpDir('atomicfs-etcd-hosts-');
  const files = Array.from({ length: n }, (_, i) => join(root, `f${i}`));
  for (const f of files) writeFileSync(f, value);
  return { root, files };
}

function values(files: readonly string[]): string[] {
  return files.map((f) => readFileSync(f, 'utf8'));
}

function assertClean(root: string): void {
  assert.deepEqual(journals(root), [], 'no journal left');
  assert.deepEqual(leftovers(root), [], 'no staged file left');
}

test(
  `two hosts increment one updateJson counter ${COUNT} times between them: exactly ${COUNT}`,
  { skip, timeout: 10 * 60_000 },
  async () => {
    const root = await tmpDir('atomicfs-etcd-counter-');
    const file = join(root, 'counter.json');
    // Nobody waits for a lease to run out here: a long one.
    const a = host('counter', { file, n: Math.ceil(COUNT / 2) }, 10_000);
    const b = host('counter', { file, n: Math.floor(COUNT / 2) }, 10_000);
    assert.deepEqual(await finished(a), { ok: true });
    assert.deepEqual(await finished(b), { ok: true });
    assert.equal(JSON.parse(readFileSync(file, 'utf8')), COUNT);
  },
);

test(
  "host A, alive but waiting in the middle of its commit; host B (same pid, same host name) recovers: A's transaction is left alone and commits",
  { skip, timeout: 120_000 },
  async () => {
    const { root, files } = await folder(10, 'old');
    const go = join(root, '..', `${root.split('/').pop() ?? ''}.go`);
    const a = host('commit', { root, files, value: 'new', pause: 'before', go });
    await a.line((l) => l.paused === true);
    await sleep(LEASE_MS + 1000); // longer than the lease: A's keepalive must be what keeps it
    const b = await finished(host('recover', { root }));
    assert.deepEqual(b, { ok: true, report: { rolledBack: 0, rolledForward: 0, tempsRemoved: 0 } });
    assert.equal(journals(root).length, 1, 'the live journal is still there');
    writeFileSync(go, '');
    assert.deepEqual(await finished(a), { ok: true });
    assert.deepEqual(values(files), Array(10).fill('new'));
    assertClean(root);
  },
);

test(
  'host A stopped before its commit decision, past its lease; host B recovers; A continued: its commit is refused, all old',
  { skip, timeout: 120_000 },
  async () => {
    const { root, files } = await folder(10, 'old');
    const go = join(root, '..', `${root.split('/').pop() ?? ''}.go`);
    const a = host('commit', { root, files, value: 'new', pause: 'before', go });
    await a.line((l) => l.paused === true);
    a.signal('SIGSTOP');
    await sleep(LEASE_MS + 2000); // past A's lease: etcd drops its locks
    const b = await finished(host('recover', { root }));
    assert.deepEqual(b, { ok: true, report: { rolledBack: 1, rolledForward: 0, tempsRemoved: 20 } }); // 10 staged files, 10 backup links
    assert.deepEqual(values(files), Array(10).fill('old'));
    writeFileSync(go, '');
    a.signal('SIGCONT');
    const result = await finished(a);
    assert.equal(result.ok, false, 'the commit of a holder whose lease was lost is refused');
    assert.equal(result.code, 'ETXFAILED');
    assert.equal(result.rolledBack, true);
    assert.equal(result.cause, 'ECOORDINATOR');
    assert.deepEqual(values(files), Array(10).fill('old'));
    assertClean(root);
  },
);

test(
  'host A stopped just after its commit decision; B rolls forward; another host recreates a file A deletes; A continued applies nothing twice and deletes nothing',
  { skip, timeout: 120_000 },
  async () => {
    const { root, files } = await folder(10, 'old');
    const gone = join(root, 'gone');
    writeFileSync(gone, 'old');
    const go = join(root, '..', `${root.split('/').pop() ?? ''}.go`);
    const a = host('commit', { root, files, value: 'new', remove: gone, pause: 'after', go });
    await a.line((l) => l.paused === true);
    a.signal('SIGSTOP');
    await sleep(LEASE_MS + 2000);
    const b = await finished(host('recover', { root }));
    assert.deepEqual(b, { ok: true, report: { rolledBack: 0, rolledForward: 1, tempsRemoved: 11 } }); // backup links
    assert.deepEqual(values(files), Array(10).fill('new'));
    assert.equal(existsSync(gone), false);
    writeFileSync(gone, 'made after the transaction');
    writeFileSync(go, '');
    a.signal('SIGCONT');
    const result = await finished(a);
    // Committed (decided), but its locks were lost before it could delete: recovery did.
    assert.deepEqual(
      { ok: result.ok, rolledBack: result.rolledBack, cause: result.cause },
      { ok: false, rolledBack: false, cause: 'ECOORDINATOR' },
    );
    assert.deepEqual(values(files), Array(10).fill('new'));
    assert.equal(readFileSync(gone, 'utf8'), 'made after the transaction');
    assertClean(root);
  },
);

test(
  'host A stopped just after its commit decision, then continued while B recovers the same journal at the same time: all new',
  { skip, timeout: 120_000 },
  async () => {
    for (let round = 0; round < 3; round++) {
      const { root, files } = await folder(10, 'old');
      const gone = join(root, 'gone');
      writeFileSync(gone, 'old');
      const go = join(root, '..', `${root.split('/').pop() ?? ''}.go`);
      const a = host('commit', { root, files, value: 'new', remove: gone, pause: 'after', go });
      await a.line((l) => l.paused === true);
      a.signal('SIGSTOP');
      await sleep(LEASE_MS + 2000);
      const b = host('recover', { root });
      await sleep(round * 60); // vary who gets ahead
      writeFileSync(go, '');
      a.signal('SIGCONT');
      const [ra, rb] = [await finished(a), await finished(b)];
      assert.equal(rb.ok, true, JSON.stringify(rb));
      // A either applied it all itself or stopped short of its deletes: never rolled back.
      assert.ok(ra.ok === true || (ra.rolledBack === false && ra.cause === 'ECOORDINATOR'), JSON.stringify(ra));
      assert.deepEqual(values(files), Array(10).fill('new'));
      assert.equal(existsSync(gone), false);
      assertClean(root);
    }
  },
);

test(
  `${KILLS} random SIGKILLs of a committing host while another host keeps recovering: all or nothing, no live transaction rolled back`,
  { skip, timeout: 10 * 60_000 },
  async () => {
    const { root, files } = await folder(10, 'start');
    for (let round = 0; round < KILLS; round++) {
      const before = values(files)[0];
      const stop = join(root, '..', `${root.split('/').pop() ?? ''}.stop${round}`);
      const a = host('loop', { root, files, tag: `r${round}` });
      await a.line((l) => l.ready === true);
      const b = host('recover', { root, until: stop });
      await sleep(200 + Math.floor(Math.random() * 800));
      a.signal('SIGKILL');
      const { signal } = await a.exited;
      assert.equal(signal, 'SIGKILL');
      writeFileSync(stop, '');
      const bLines = (await b.exited, b.lines);
      assert.ok(
        bLines.every((l) => l.ok === true),
        `the other host's recoveries all succeed: ${JSON.stringify(bLines.filter((l) => l.ok !== true))}`,
      );
      // A live transaction rolled back by B would have failed A's commit.
      const failures = a.lines.filter((l) => l.ok === false);
      assert.deepEqual(failures, [], `round ${round}: no commit of the live host failed`);
      const committed = a.lines.filter((l) => typeof l.committed === 'number').map((l) => l.committed as number);
      const last = committed.length === 0 ? 0 : Math.max(...committed);
      // Once A's lease runs out, recovery on the other host completes or undoes its last transaction.
      const deadline = Date.now() + LEASE_MS * 10;
      while (journals(root).length > 0) {
        assert.ok(Date.now() < deadline, "the dead host's journal is recovered once its lease is over");
        const r = await finished(host('recover', { root }));
        assert.equal(r.ok, true, JSON.stringify(r));
        if (journals(root).length > 0) await sleep(500);
      }
      const now = values(files);
      assert.equal(new Set(now).size, 1, `round ${round}: all files alike: ${now.join(',')}`);
      const allowed = new Set([`r${round}-${last}`, `r${round}-${last + 1}`, ...(last === 0 ? [before] : [])]);
      assert.ok(
        allowed.has(now[0] ?? ''),
        `round ${round}: ${now[0]} is the last committed generation (${last}) or the one in flight`,
      );
      assertClean(root);
    }
  },
);

test(
  'the etcd leader killed mid-commit: the commit succeeds or fails cleanly',
  { skip, timeout: 120_000 },
  async () => {
    const c = cluster;
    assert.ok(c);
    for (const pause of ['before', 'after'] as const) {
      const { root, files } = await folder(10, 'old');
      const go = join(root, '..', `${root.split('/').pop() ?? ''}.go`);
      const a = host('commit', { root, files, value: 'new', pause, go });
      await a.line((l) => l.paused === true);
      const leader = await c.leader();
      await c.kill(leader);
      writeFileSync(go, '');
      const result = await finished(a);
      if (result.ok === true) assert.deepEqual(values(files), Array(10).fill('new'));
      else {
        assert.equal(result.rolledBack, true, `failed cleanly: ${JSON.stringify(result)}`);
        assert.deepEqual(values(files), Array(10).fill('old'));
      }
      if (pause === 'after') assert.equal(result.ok, true, 'decided before the kill: it commits');
      assertClean(root);
      await c.restart(leader);
    }
  },
);

test(
  'the whole cluster stopped: every call fails with ECOORDINATOR within its timeout, nothing changed',
  { skip, timeout: 120_000 },
  async () => {
    const c = cluster;
    assert.ok(c);
    const { root, files } = await folder(3, 'old');
    // A dead host's journal, for recovery to need the cluster.
    const go = join(root, '..', `${root.split('/').pop() ?? ''}.go`);
    const a = host('commit', { root, files, value: 'new', pause: 'before', go });
    await a.line((l) => l.paused === true);
    a.signal('SIGKILL');
    await a.exited;
    for (let i = 0; i < c.members.length; i++) await c.kill(i);
    const before = snapshot(root);
    const beforeState = journals(root);
    const coordinator = etcdCoordinator({ endpoints: c.endpoints, leaseMs: LEASE_MS, timeout: 1500 });
    try {
      const started = Date.now();
      await assert.rejects(lock(join(root, 'f0'), { coordinator, timeout: 1000 }), {
        code: 'ECOORDINATOR',
        message: /etcd at http:\/\/127\.0\.0\.1/,
      });
      await assert.rejects(
        updateJson(join(root, 'n.json'), () => 1, { coordinator, timeout: 1000 }),
        { code: 'ECOORDINATOR' },
      );
      await assert.rejects(recover(root, { coordinator }), { code: 'ECOORDINATOR' });
      await assert.rejects(
        guard([files[0] ?? ''], () => undefined, { root, coordinator, timeout: 1000 }),
        { code: 'ECOORDINATOR' },
      );
      await assert.rejects(
        transaction({ root, coordinator }),
        { code: 'ECOORDINATOR' },
        'transaction() recovers first, which needs the cluster',
      );
      // A folder without journals: transaction() needs nothing from the cluster, its commit does.
      const other = await folder(2, 'old');
      const tx = await transaction({ root: other.root, coordinator });
      for (const f of other.files) tx.writeFile(f, 'new');
      await assert.rejects(
        tx.commit(),
        (err: Error & { code?: string; rolledBack?: boolean; cause?: { code?: string } }) => {
          assert.equal(err.code, 'ETXFAILED');
          assert.equal(err.rolledBack, true);
          assert.equal(err.cause?.code, 'ECOORDINATOR');
          return true;
        },
      );
      assert.deepEqual(values(other.files), ['old', 'old']);
      assertClean(other.root);
      // Each call gave up within its own bound (a generous margin: this is no timing test).
      assert.ok(Date.now() - started < 5 * 5000, 'the calls did not hang');
      assert.deepEqual(snapshot(root), before, 'nothing changed');
      assert.deepEqual(journals(root), beforeState, "the dead host's journal is still there for later");
    } finally {
      await coordinator.close().catch(() => undefined);
    }
    // Back up, the journal is recovered.
    await c.restartAll();
    const back = etcdCoordinator({ endpoints: c.endpoints, leaseMs: LEASE_MS });
    try {
      // The dead host's lease lives on for its TTL after the cluster is back (etcd renews
      // every lease when a leader is elected); then its journal is recovered.
      const deadline = Date.now() + 30_000;
      let report = await recover(root, { coordinator: back });
      while (report.rolledBack === 0 && Date.now() < deadline) {
        await sleep(500);
        report = await recover(root, { coordinator: back });
      }
      assert.deepEqual(report, { rolledBack: 1, rolledForward: 0, tempsRemoved: 6 });
      assert.deepEqual(values(files), ['old', 'old', 'old']);
      assertClean(root);
    } finally {
      await back.close();
    }
  },
);
