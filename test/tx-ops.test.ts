/** Transactions: each staged operation, commit and rollback, withTransaction, `await using`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  transaction,
  withTransaction,
  TransactionError,
  ValidationError,
  type AuditRecord,
  type BackupRequest,
} from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';
import { journals, leftovers, snapshot } from './helpers/tx-files.js';

async function rootWith(files: Record<string, string>): Promise<string> {
  const root = await tmpDir('atomicfs-tx-');
  for (const [name, content] of Object.entries(files)) writeFileSync(join(root, name), content);
  return root;
}

function clean(root: string): void {
  assert.deepEqual(leftovers(root), [], 'no staged or temporary file is left');
  assert.deepEqual(journals(root), [], 'no journal is left');
}

test('every staged operation is applied by one commit', async () => {
  const root = await rootWith({ 'old.txt': 'old', 'gone.txt': 'bye', 'src.txt': 'source', 'keep.txt': 'keep' });
  const tx = await transaction({ root });
  tx.writeFile(join(root, 'a.txt'), 'A')
    .writeFile(join(root, 'old.txt'), Buffer.from('new'))
    .writeFile(join(root, 'stream.txt'), Readable.from([Buffer.from('st'), Buffer.from('ream')]))
    .createFile(join(root, 'created.txt'), 'C')
    .writeJson(join(root, 'b.json'), { b: 1 })
    .writeYaml(join(root, 'c.yaml'), { c: [1, 2] })
    .copyFile(join(root, 'keep.txt'), join(root, 'copy.txt'))
    .moveFile(join(root, 'src.txt'), join(root, 'dst.txt'))
    .deleteFile(join(root, 'gone.txt'));
  const { id, changed } = await tx.commit();
  assert.equal(id, tx.id);
  assert.equal(tx.state, 'committed');
  assert.ok(changed.includes(join(root, 'src.txt')) && changed.includes(join(root, 'dst.txt')));
  assert.deepEqual(snapshot(root), {
    'a.txt': 'A',
    'b.json': '{\n  "b": 1\n}\n',
    'c.yaml': 'c:\n  - 1\n  - 2\n',
    'copy.txt': 'keep',
    'created.txt': 'C',
    'dst.txt': 'source',
    'keep.txt': 'keep',
    'old.txt': 'new',
    'stream.txt': 'stream',
  });
  clean(root);
});

test('mode: given, else kept from the replaced file', async () => {
  const root = await rootWith({ 'x.sh': '#!/bin/sh' });
  const { chmodSync } = await import('node:fs');
  chmodSync(join(root, 'x.sh'), 0o750);
  await withTransaction(
    (tx) => {
      tx.writeFile(join(root, 'x.sh'), '#!/bin/sh\necho').writeFile(join(root, 'secret'), 's', { mode: 0o600 });
    },
    { root },
  );
  assert.equal(statSync(join(root, 'x.sh')).mode & 0o777, 0o750);
  assert.equal(statSync(join(root, 'secret')).mode & 0o777, 0o600);
});

test('rollback and an uncommitted `await using` change nothing', async () => {
  const root = await rootWith({ 'a.txt': 'A', 'b.txt': 'B' });
  const tx = await transaction({ root });
  tx.writeFile(join(root, 'a.txt'), 'changed').deleteFile(join(root, 'b.txt'));
  await tx.rollback();
  assert.equal(tx.state, 'rolled-back');
  await assert.rejects(tx.commit(), { code: 'EINVAL' });
  {
    await using tx2 = await transaction({ root });
    tx2.writeFile(join(root, 'c.txt'), 'C');
  }
  assert.deepEqual(snapshot(root), { 'a.txt': 'A', 'b.txt': 'B' });
  clean(root);
});

test('`await using` keeps a committed transaction', async () => {
  const root = await rootWith({});
  {
    await using tx = await transaction({ root });
    tx.writeFile(join(root, 'b.txt'), 'B');
    await tx.commit();
  }
  assert.deepEqual(snapshot(root), { 'b.txt': 'B' });
});

test('withTransaction commits when fn resolves, rolls back when it throws', async () => {
  const root = await rootWith({ 'a.txt': 'A' });
  const out = await withTransaction(
    async (tx) => {
      tx.writeFile(join(root, 'a.txt'), 'A2');
      return 42;
    },
    { root },
  );
  assert.equal(out, 42);
  await assert.rejects(
    withTransaction(
      async (tx) => {
        tx.writeFile(join(root, 'a.txt'), 'A3').writeFile(join(root, 'z.txt'), 'Z');
        throw new Error('nope');
      },
      { root },
    ),
    /nope/,
  );
  assert.deepEqual(snapshot(root), { 'a.txt': 'A2' });
  clean(root);
});

test('a schema failure at staging fails the transaction before anything is applied', async () => {
  const root = await rootWith({ 'a.txt': 'A' });
  const tx = await transaction({ root });
  tx.writeFile(join(root, 'a.txt'), 'changed');
  assert.throws(
    () =>
      tx.writeJson(
        join(root, 'c.json'),
        { port: 'x' },
        { schema: { type: 'object', properties: { port: { type: 'integer' } } } },
      ),
    ValidationError,
  );
  await assert.rejects(tx.commit(), (err: unknown) => {
    assert.ok(err instanceof TransactionError);
    assert.equal(err.code, 'ETXFAILED');
    assert.equal(err.rolledBack, true);
    assert.ok(err.cause instanceof ValidationError);
    return true;
  });
  assert.deepEqual(snapshot(root), { 'a.txt': 'A' });
  clean(root);
});

test('bad arguments are refused at staging with EINVAL', async () => {
  const root = await rootWith({});
  const tx = await transaction({ root });
  assert.throws(() => tx.writeFile('', 'x'), { code: 'EINVAL' });
  assert.throws(() => tx.writeFile(join(root, 'a'), 42 as unknown as string), { code: 'EINVAL' });
  assert.throws(() => tx.writeFile(join(root, 'a'), 'x', { mode: 0o70000 }), { code: 'EINVAL' });
  const tx2 = await transaction({ root });
  tx2.writeFile(join(root, 'a'), 'x');
  assert.throws(() => tx2.deleteFile(join(root, 'a')), { code: 'EINVAL' }, 'one file, one change per transaction');
  assert.throws(() => tx2.writeFile(join(root, '.atomicfs', 'x.journal'), 'x'), { code: 'EINVAL' });
  await assert.rejects(transaction({ root: join(root, 'missing') }), { code: 'ENOENT' });
});

test('createFile fails the commit if the target exists at commit time; nothing applied', async () => {
  const root = await rootWith({});
  const tx = await transaction({ root });
  tx.writeFile(join(root, 'a.txt'), 'A').createFile(join(root, 'b.txt'), 'B');
  writeFileSync(join(root, 'b.txt'), 'someone else');
  await assert.rejects(
    tx.commit(),
    (err: unknown) =>
      err instanceof TransactionError && err.rolledBack && (err.cause as { code?: string }).code === 'EEXIST',
  );
  assert.deepEqual(snapshot(root), { 'b.txt': 'someone else' });
  clean(root);
});

test('deleteFile of a missing file fails the commit unless force', async () => {
  const root = await rootWith({ 'a.txt': 'A' });
  await assert.rejects(
    withTransaction((tx) => void tx.writeFile(join(root, 'a.txt'), 'A2').deleteFile(join(root, 'none')), { root }),
    (err: unknown) => err instanceof TransactionError && (err.cause as { code?: string }).code === 'ENOENT',
  );
  assert.deepEqual(snapshot(root), { 'a.txt': 'A' });
  await withTransaction(
    (tx) => void tx.writeFile(join(root, 'a.txt'), 'A2').deleteFile(join(root, 'none'), { force: true }),
    { root },
  );
  assert.deepEqual(snapshot(root), { 'a.txt': 'A2' });
});

test('writing through a symbolic link inside the root replaces its target and keeps the link', async () => {
  const root = await rootWith({ 'real.txt': 'R' });
  symlinkSync('real.txt', join(root, 'link.txt'));
  await withTransaction((tx) => void tx.writeFile(join(root, 'link.txt'), 'R2'), { root });
  assert.equal(readFileSync(join(root, 'real.txt'), 'utf8'), 'R2');
  assert.ok(statSync(join(root, 'link.txt')).isFile());
});

test('EOUTSIDEROOT: `..` at staging, a symbolic link escaping the root at commit', async () => {
  const outside = await tmpDir('atomicfs-outside-');
  writeFileSync(join(outside, 'victim'), 'safe');
  const root = await rootWith({ 'a.txt': 'A' });
  mkdirSync(join(root, 'sub'));
  symlinkSync(outside, join(root, 'sub', 'escape'));
  symlinkSync(join(outside, 'victim'), join(root, 'victim-link'));
  const tx = await transaction({ root });
  assert.throws(() => tx.writeFile(join(root, '..', 'x'), 'x'), { code: 'EOUTSIDEROOT' });
  assert.throws(() => tx.copyFile(join(outside, 'victim'), join(root, 'x')), { code: 'EOUTSIDEROOT' });
  for (const target of [
    join(root, 'sub', 'escape', 'victim'),
    join(root, 'victim-link'),
    join(root, 'sub', 'escape', 'new'),
  ]) {
    const t = await transaction({ root });
    t.writeFile(join(root, 'a.txt'), 'changed').writeFile(target, 'pwned');
    await assert.rejects(
      t.commit(),
      (err: unknown) =>
        err instanceof TransactionError && err.rolledBack && (err.cause as { code?: string }).code === 'EOUTSIDEROOT',
    );
  }
  assert.equal(readFileSync(join(outside, 'victim'), 'utf8'), 'safe');
  assert.deepEqual(snapshot(outside), { victim: 'safe' });
  assert.equal(readFileSync(join(root, 'a.txt'), 'utf8'), 'A');
  clean(root);
});

test('an aborted signal rolls the transaction back', async () => {
  const root = await rootWith({ 'a.txt': 'A' });
  const ac = new AbortController();
  const tx = await transaction({ root, signal: ac.signal });
  tx.writeFile(join(root, 'a.txt'), 'A2');
  ac.abort();
  await assert.rejects(tx.commit(), (err: unknown) => err instanceof TransactionError && err.rolledBack);
  assert.deepEqual(snapshot(root), { 'a.txt': 'A' });
  clean(root);
});

test('backup and audit hooks: one backup before the commit point, one audit record per transaction', async () => {
  const root = await rootWith({ 'a.txt': 'A', 'd.txt': 'D' });
  const backups: { paths: readonly string[]; req: BackupRequest; contents: string[] }[] = [];
  const audits: AuditRecord[] = [];
  const backup = {
    async preserve(paths: readonly string[], req: BackupRequest) {
      backups.push({
        paths,
        req,
        contents: paths.map((p) => {
          try {
            return readFileSync(p, 'utf8');
          } catch {
            return '-';
          }
        }),
      });
      return 'b1';
    },
  };
  const audit = {
    async record(e: AuditRecord) {
      audits.push(e);
    },
  };
  const tx = await transaction({ root, backup, audit });
  tx.writeFile(join(root, 'a.txt'), 'A2').deleteFile(join(root, 'd.txt')).writeFile(join(root, 'n.txt'), 'N');
  await tx.commit();
  assert.equal(backups.length, 1);
  assert.equal(backups[0]?.req.transactionId, tx.id);
  assert.deepEqual(backups[0]?.contents, ['A', 'D', '-'], 'preserved while the old files were still in place');
  assert.equal(audits.length, 1);
  assert.equal(audits[0]?.outcome, 'ok');
  assert.equal(audits[0]?.backupId, 'b1');
  const files = Object.fromEntries((audits[0]?.files ?? []).map((f) => [f.path, f]));
  assert.equal(files[join(root, 'd.txt')]?.after, null);
  assert.equal(files[join(root, 'n.txt')]?.before, null);
  assert.equal(files[join(root, 'n.txt')]?.size, 1);

  const tx2 = await transaction({
    root,
    audit,
    backup: {
      preserve: async () => {
        throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
      },
    },
  });
  tx2.writeFile(join(root, 'a.txt'), 'A3');
  await assert.rejects(tx2.commit(), (err: unknown) => err instanceof TransactionError && err.rolledBack);
  assert.equal(audits.length, 2);
  assert.equal(audits[1]?.outcome, 'rolled-back');
  assert.equal(readFileSync(join(root, 'a.txt'), 'utf8'), 'A2');
  clean(root);
});

test('an empty transaction commits nothing and leaves nothing', async () => {
  const root = await rootWith({});
  const tx = await transaction({ root });
  assert.deepEqual((await tx.commit()).changed, []);
  clean(root);
});
