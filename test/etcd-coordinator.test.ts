/**
 * The etcd coordinator in one process, against a real three-member cluster: lock forms,
 * what a holder does when its lease is lost (revoked from outside, as when it expires),
 * guard, transactions, and the options. The multi-host behaviour is etcd-hosts.test.ts.
 * Skips without etcd, saying why, unless ATOMICFS_REQUIRE_ETCD=1 (CI).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { guard, lock, recover, transaction, updateJson, withTransaction, type TransactionError } from '../src/index.js';
import { etcdCoordinator, type EtcdCoordinator } from '../src/etcd/index.js';
import { EtcdCluster, skipUnlessEtcd } from './helpers/etcd-cluster.js';
import { tmpDir } from './helpers/tmp.js';
import { journals, leftovers, locksLeft } from './helpers/tx-files.js';

const skip = skipUnlessEtcd(false);
let cluster: EtcdCluster | undefined;
let raw: Etcd3 | undefined;
const made: EtcdCoordinator[] = [];

before(async () => {
  if (skip) return;
  cluster = await EtcdCluster.start();
  raw = new Etcd3({ hosts: cluster.endpoints });
});
after(async () => {
  await Promise.all(made.map((c) => c.close().catch(() => undefined)));
  raw?.close();
  await cluster?.stop();
});

function coordinator(prefix: string): EtcdCoordinator {
  if (!cluster) throw new Error('no cluster');
  const c = etcdCoordinator({ endpoints: cluster.endpoints, leaseMs: 10_000, prefix }); // losses are made by revoking
  made.push(c);
  return c;
}

/** Revokes every lease in the cluster: what etcd does to a holder paused past its lease. */
async function loseLeases(): Promise<void> {
  const client = raw;
  if (!client) throw new Error('no cluster');
  const { leases } = await client.leaseClient.leaseLeases();
  await Promise.all(leases.map((l) => client.leaseClient.leaseRevoke({ ID: l.ID })));
}

async function keysUnder(prefix: string): Promise<string[]> {
  if (!raw) throw new Error('no cluster');
  return raw.getAll().prefix(prefix).keys();
}

test(
  'locks: shared holders together, an exclusive one alone, a timeout gives ELOCKED; nothing beside the file',
  { skip },
  async () => {
    const dir = await tmpDir('atomicfs-etcd-lock-');
    const path = join(dir, 'file');
    const [a, b] = [coordinator('t1/'), coordinator('t1/')];
    const r1 = await lock(path, { coordinator: a, shared: true });
    const r2 = await lock(path, { coordinator: b, shared: true });
    await assert.rejects(lock(path, { coordinator: b, timeout: 50 }), { code: 'ELOCKED' });
    let exclusive = false;
    const waiting = lock(path, { coordinator: b }).then((release) => {
      exclusive = true;
      return release;
    });
    await sleep(100);
    assert.equal(exclusive, false, 'the writer waits for both readers');
    await r1();
    await r2();
    const w = await waiting;
    await assert.rejects(
      lock(path, { coordinator: a, shared: true, timeout: 50 }),
      { code: 'ELOCKED' },
      'readers wait for the writer',
    );
    await w();
    assert.deepEqual(locksLeft(dir), []);
    assert.deepEqual(await keysUnder('t1/'), []);
  },
);

test(
  'a lock whose lease is lost: its release says so (ECOORDINATOR), and another holder gets it at once',
  { skip },
  async () => {
    const dir = await tmpDir('atomicfs-etcd-lost-');
    const path = join(dir, 'file');
    const [a, b] = [coordinator('t2/'), coordinator('t2/')];
    const release = await lock(path, { coordinator: a });
    await loseLeases();
    const other = await lock(path, { coordinator: b, timeout: 5000 });
    await assert.rejects(release(), { code: 'ECOORDINATOR', message: /lost while held/ });
    await other();
    // The coordinator that lost its lease makes a new one and goes on working.
    await (
      await lock(path, { coordinator: a, timeout: 5000 })
    )();
  },
);

test('updateJson whose lease is lost before it writes: ECOORDINATOR, nothing written', { skip }, async () => {
  const dir = await tmpDir('atomicfs-etcd-update-');
  const file = join(dir, 'n.json');
  writeFileSync(file, '1');
  const a = coordinator('t3/');
  assert.equal(await updateJson<number>(file, (n) => (n ?? 0) + 1, { coordinator: a }), 2);
  await assert.rejects(
    updateJson<number>(
      file,
      async (n) => {
        await loseLeases();
        return (n ?? 0) + 1;
      },
      { coordinator: a },
    ),
    { code: 'ECOORDINATOR', message: /nothing was written/ },
  );
  assert.equal(readFileSync(file, 'utf8').trim(), '2');
});

test(
  'transactions with a coordinator: commit, withTransaction, nothing left in etcd or beside the files',
  { skip },
  async () => {
    const root = await tmpDir('atomicfs-etcd-tx-');
    const a = coordinator('t4/');
    writeFileSync(join(root, 'old'), 'x');
    const tx = await transaction({ root, coordinator: a });
    tx.writeFile(join(root, 'a'), 'A').writeFile(join(root, 'b'), 'B').moveFile(join(root, 'old'), join(root, 'c'));
    assert.deepEqual((await tx.commit()).changed.length, 4);
    await withTransaction((t) => void t.deleteFile(join(root, 'b')), { root, coordinator: a });
    assert.equal(readFileSync(join(root, 'a'), 'utf8'), 'A');
    assert.equal(readFileSync(join(root, 'c'), 'utf8'), 'x');
    assert.equal(existsSync(join(root, 'b')), false);
    assert.equal(existsSync(join(root, 'old')), false);
    assert.deepEqual([journals(root), leftovers(root), locksLeft(root)], [[], [], []]);
    assert.deepEqual(await keysUnder('t4/'), [], 'locks released, owner gone, decisions forgotten');
  },
);

test('a transaction whose lease is lost before its commit decision is refused and rolled back', { skip }, async () => {
  const root = await tmpDir('atomicfs-etcd-txlost-');
  writeFileSync(join(root, 'a'), 'old');
  const a = coordinator('t5/');
  const tx = await transaction({ root, coordinator: a });
  // A source that loses the lease while it is staged: the decision comes after.
  async function* source(): AsyncGenerator<Uint8Array> {
    await loseLeases();
    yield Buffer.from('new');
  }
  tx.writeFile(join(root, 'a'), source());
  const err = (await tx.commit().then(
    () => assert.fail('committed'),
    (e: unknown) => e,
  )) as TransactionError;
  assert.equal(err.code, 'ETXFAILED');
  assert.equal(err.rolledBack, true);
  assert.equal((err.cause as { code?: string }).code, 'ECOORDINATOR');
  assert.equal(readFileSync(join(root, 'a'), 'utf8'), 'old');
  assert.deepEqual([journals(root), leftovers(root)], [[], []]);
});

test(
  'guard with a coordinator: kept, restored on a throw; a lease lost during fn leaves the restore to recovery',
  { skip },
  async () => {
    const root = await tmpDir('atomicfs-etcd-guard-');
    const file = join(root, 'g');
    writeFileSync(file, 'old');
    const [a, b] = [coordinator('t6/'), coordinator('t6/')];
    await guard([file], () => writeFileSync(file, 'kept'), { root, coordinator: a });
    assert.equal(readFileSync(file, 'utf8'), 'kept');
    await assert.rejects(
      guard(
        [file],
        () => {
          writeFileSync(file, 'broken');
          throw new Error('boom');
        },
        { root, coordinator: a },
      ),
      /boom/,
    );
    assert.equal(readFileSync(file, 'utf8'), 'kept');
    const err = (await guard(
      [file],
      async () => {
        writeFileSync(file, 'half');
        await loseLeases();
      },
      { root, coordinator: a },
    ).then(
      () => assert.fail('kept'),
      (e: unknown) => e,
    )) as TransactionError;
    assert.equal(err.code, 'ETXFAILED');
    assert.equal(err.rolledBack, false);
    assert.match(err.message, /locks were lost/);
    // Another host's recovery restores the original (the owner's lease is gone).
    assert.deepEqual(await recover(root, { coordinator: b }), { rolledBack: 1, rolledForward: 0, tempsRemoved: 0 }); // the copy was renamed back
    assert.equal(readFileSync(file, 'utf8'), 'kept');
    assert.deepEqual([journals(root), leftovers(root)], [[], []]);
  },
);

test('etcdCoordinator refuses bad options with EINVAL', { skip }, () => {
  assert.throws(() => etcdCoordinator({ endpoints: [] }), { code: 'EINVAL', message: /endpoints/ });
  assert.throws(() => etcdCoordinator({ endpoints: 'http://127.0.0.1:1', leaseMS: 5 } as never), {
    code: 'EINVAL',
    message: /leaseMS/,
  });
  assert.throws(() => etcdCoordinator({ endpoints: 'http://127.0.0.1:1', leaseMs: -1 }), {
    code: 'EINVAL',
    message: /leaseMs/,
  });
});

test('without the etcd3 package installed, the first request says how to install it (ECOORDINATOR)', async () => {
  // The built library alone, where no node_modules can be found: as for a user who did
  // not install the optional peer dependency.
  const dir = await tmpDir('atomicfs-etcd-nopeer-');
  cpSync(fileURLToPath(new URL('../src', import.meta.url)), join(dir, 'dist', 'src'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  const script = join(dir, 'try.mjs');
  writeFileSync(
    script,
    `import { etcdCoordinator } from './dist/src/etcd/index.js';
const c = etcdCoordinator({ endpoints: 'http://127.0.0.1:1' });
try { await c.isAlive('x'); console.log('no error'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
  );
  const out = execFileSync(process.execPath, [script], { cwd: dir, encoding: 'utf8' });
  const result = JSON.parse(out) as { code: string; message: string };
  assert.equal(result.code, 'ECOORDINATOR');
  assert.match(result.message, /npm install etcd3@1\.1\.2/);
});
