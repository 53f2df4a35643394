/**
 * Issue 15: every public call refuses an option name it does not know (EINVAL naming it
 * and the nearest known name), from one validator; one name, `timeout`, for every wait.
 * The first test enumerates the package's exports, so a new call cannot be left out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as atomicfs from '../src/index.js';
import { optionCalls, optionNames, type OptionsCall } from '../src/base/options-check.js';
import { tmpDir } from './helpers/tmp.js';

const BAD = { bogusOption: 1 };

/** How each call with an options bag is reached, passing `opts`. */
function invokers(dir: string): Record<OptionsCall, (opts: object) => unknown> {
  const f = join(dir, 'f.json');
  const a = atomicfs;
  const tx = async (stage: (t: atomicfs.Transaction) => unknown): Promise<unknown> => {
    const t = await a.transaction({ root: dir });
    try {
      return stage(t);
    } finally {
      await t.rollback().catch(() => undefined);
    }
  };
  return {
    writeFile: (o) => a.writeFile(f, 'x', o),
    createFile: (o) => a.createFile(join(dir, 'new'), 'x', o),
    atomicWrite: (o) => a.atomicWrite(f, () => undefined, o),
    copyFile: (o) => a.copyFile(f, join(dir, 'copy'), o),
    moveFile: (o) => a.moveFile(f, join(dir, 'moved'), o),
    readFile: (o) => a.readFile(f, o),
    deleteFile: (o) => a.deleteFile(f, o),
    sha256File: (o) => a.sha256File(f, o),
    cleanupTemps: (o) => a.cleanupTemps(dir, o),
    lock: (o) => a.lock(f, o),
    check: (o) => a.check(f, o),
    unlock: (o) => a.unlock(f, o),
    writeJson: (o) => a.writeJson(f, 1, o),
    writeYaml: (o) => a.writeYaml(f, 1, o),
    readJson: (o) => a.readJson(f, o),
    readYaml: (o) => a.readYaml(f, o),
    updateJson: (o) => a.updateJson(f, () => 1, o),
    mergeConfigs: (o) => a.mergeConfigs([f], join(dir, 'out.json'), o),
    rotateFile: (o) => a.rotateFile(f, { maxFiles: 1, ...o }),
    BackupStore: (o) => new a.BackupStore(join(dir, 'b'), o),
    'BackupStore.restore': (o) => new a.BackupStore(join(dir, 'b')).restore('x', o),
    'BackupStore.list': (o) => new a.BackupStore(join(dir, 'b')).list(o),
    AuditLog: (o) => new a.AuditLog(join(dir, 'audit.log'), o),
    'AuditLog.entries': (o) => new a.AuditLog(join(dir, 'audit.log')).entries(o),
    'AuditLog.summary': (o) => new a.AuditLog(join(dir, 'audit.log')).summary(o),
    transaction: (o) => a.transaction({ root: dir, ...o }),
    withTransaction: (o) => a.withTransaction(() => undefined, { root: dir, ...o }),
    guard: (o) => a.guard([f], () => undefined, { root: dir, ...o }),
    recover: (o) => a.recover(dir, o),
    handleSignals: (o) => a.handleSignals(o),
    'tx.writeFile': (o) => tx((t) => t.writeFile(f, 'x', o)),
    'tx.createFile': (o) => tx((t) => t.createFile(f, 'x', o)),
    'tx.copyFile': (o) => tx((t) => t.copyFile(f, join(dir, 'c'), o)),
    'tx.moveFile': (o) => tx((t) => t.moveFile(f, join(dir, 'm'), o)),
    'tx.writeJson': (o) => tx((t) => t.writeJson(f, 1, o)),
    'tx.writeYaml': (o) => tx((t) => t.writeYaml(f, 1, o)),
    'tx.deleteFile': (o) => tx((t) => t.deleteFile(f, o)),
  };
}

/**
 * How each synchronous call is reached, passing `opts`: the same table entry as its
 * asynchronous twin, checked by the same validator, and failing synchronously.
 */
function syncInvokers(dir: string): Record<string, (opts: object) => unknown> {
  const f = join(dir, 'f.json');
  const a = atomicfs;
  return {
    writeFileSync: (o) => a.writeFileSync(f, 'x', o),
    createFileSync: (o) => a.createFileSync(join(dir, 'new'), 'x', o),
    copyFileSync: (o) => a.copyFileSync(f, join(dir, 'copy'), o),
    moveFileSync: (o) => a.moveFileSync(f, join(dir, 'moved'), o),
    readFileSync: (o) => a.readFileSync(f, o),
    deleteFileSync: (o) => a.deleteFileSync(f, o),
    sha256FileSync: (o) => a.sha256FileSync(f, o),
    recoverSync: (o) => a.recoverSync(dir, o),
    lockSync: (o) => a.lockSync(f, o),
    writeJsonSync: (o) => a.writeJsonSync(f, 1, o),
    writeYamlSync: (o) => a.writeYamlSync(f, 1, o),
    readJsonSync: (o) => a.readJsonSync(f, o),
    readYamlSync: (o) => a.readYamlSync(f, o),
    updateJsonSync: (o) => a.updateJsonSync(f, () => 1, o),
  };
}

/** Exports that are functions but take no options bag, and why. */
const WITHOUT_OPTIONS: Record<string, string> = {
  AtomicError: 'an error class',
  ValidationError: 'an error class',
  IntegrityError: 'an error class',
  LockError: 'an error class',
  TransactionError: 'an error class',
  Transaction: 'made by transaction(); its methods are covered as tx.*',
};

/** Which table entries an export's calls go through. */
function callsOf(name: string): string[] {
  if (name === 'BackupStore') return ['BackupStore', 'BackupStore.restore', 'BackupStore.list'];
  if (name === 'AuditLog') return ['AuditLog', 'AuditLog.entries', 'AuditLog.summary'];
  if (name === 'transaction')
    return [
      'transaction',
      'tx.writeFile',
      'tx.createFile',
      'tx.copyFile',
      'tx.moveFile',
      'tx.writeJson',
      'tx.writeYaml',
      'tx.deleteFile',
    ];
  return [name];
}

async function refuses(call: string, run: () => unknown, dir: string): Promise<void> {
  const before = readdirSync(dir).sort();
  await assert.rejects(
    (async () => run())(),
    (err: atomicfs.AtomicError) => {
      assert.equal(err.code, 'EINVAL', `${call}: ${err.message}`);
      assert.match(err.message, /unknown option "bogusOption"/, call);
      return true;
    },
    `${call} must refuse an unknown option`,
  );
  assert.deepEqual(readdirSync(dir).sort(), before, `${call} changed nothing`);
}

function refusesSync(call: string, run: () => unknown, dir: string): void {
  const before = readdirSync(dir).sort();
  assert.throws(
    run,
    (err: atomicfs.AtomicError) => {
      assert.equal(err.code, 'EINVAL', `${call}: ${err.message}`);
      assert.match(err.message, /unknown option "bogusOption"/, call);
      return true;
    },
    `${call} must refuse an unknown option, synchronously`,
  );
  assert.deepEqual(readdirSync(dir).sort(), before, `${call} changed nothing`);
}

test('a synchronous call refuses the options only an asynchronous one can honour (signal, onProgress)', async () => {
  const dir = await tmpDir();
  writeFileSync(join(dir, 'f.json'), '{"a":1}');
  const runSync = syncInvokers(dir);
  for (const [name, invoke] of Object.entries(runSync)) {
    const before = readdirSync(dir).sort();
    for (const opts of [{ signal: new AbortController().signal }, { onProgress: () => undefined }]) {
      const option = Object.keys(opts)[0]!;
      let threw: unknown;
      try {
        invoke(opts);
      } catch (err) {
        threw = err;
      }
      // A call whose table has no such option refuses it as unknown; either way, EINVAL.
      assert.equal((threw as atomicfs.AtomicError | undefined)?.code, 'EINVAL', `${name} with ${option}`);
      assert.match((threw as Error).message, new RegExp(option), name);
    }
    assert.deepEqual(readdirSync(dir).sort(), before, `${name} changed nothing`);
  }
});

test('every exported call with an options bag refuses an unknown option name (EINVAL naming it)', async () => {
  const dir = await tmpDir();
  writeFileSync(join(dir, 'f.json'), '{"a":1}');
  const run = invokers(dir);
  const runSync = syncInvokers(dir);
  const covered = new Set<string>();
  for (const [name, value] of Object.entries(atomicfs)) {
    if (typeof value !== 'function') continue;
    if (name in WITHOUT_OPTIONS) continue;
    if (name.endsWith('Sync')) {
      const invoke = runSync[name];
      assert.ok(invoke, `export ${name}: add it to syncInvokers in this test`);
      refusesSync(name, () => invoke(BAD), dir);
      continue;
    }
    for (const call of callsOf(name)) {
      const invoke = run[call as OptionsCall];
      assert.ok(
        invoke,
        `export ${name}: no options check known for ${call}; add it to the table in src/base/options-check.ts`,
      );
      await refuses(call, () => invoke(BAD), dir);
      covered.add(call);
    }
  }
  // Every call the table knows is reached from an export.
  assert.deepEqual([...covered].sort(), optionCalls().sort());
  assert.equal(readFileSync(join(dir, 'f.json'), 'utf8'), '{"a":1}');
});

test("the hint names the nearest known option, and the peers' names for it", async () => {
  const dir = await tmpDir();
  const p = join(dir, 'c.json');
  const cases: [() => Promise<unknown>, RegExp][] = [
    [
      () => atomicfs.updateJson(p, () => 1, { lockTimeout: 10 } as object),
      /unknown option "lockTimeout"; did you mean "timeout"\?/,
    ],
    [() => atomicfs.lock(p, { timout: 10 } as object), /unknown option "timout"; did you mean "timeout"\?/],
    [() => atomicfs.writeJson(p, 1, { indent: 2 } as object), /unknown option "indent"; did you mean "spaces"\?/],
    [() => atomicfs.writeFile(p, 'x', { mkdirp: true } as object), /did you mean "parents"\?/],
    [() => atomicfs.writeFile(p, 'x', { fsynk: true } as object), /did you mean "fsync"\?/],
    [() => atomicfs.lock(p, { stale: 10 } as object), /did you mean "staleMs"\?/],
    [
      () => atomicfs.writeFile(p, 'x', { zzzzzzzzzz: 1 } as object),
      /unknown option "zzzzzzzzzz" \(the known options: signal, retry, disk, encoding/,
    ],
  ];
  for (const [run, message] of cases)
    await assert.rejects(
      run(),
      (err: atomicfs.AtomicError) => err.code === 'EINVAL' && message.test(err.message) && err.message.includes(p),
    );
  assert.deepEqual(readdirSync(dir), []);
});

test('values are checked by the same validator: EINVAL naming the option, nothing written', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  const cases: [() => Promise<unknown>, RegExp][] = [
    [() => atomicfs.writeFile(p, 'x', { mode: 0o10000 }), /option mode must be an integer from 0 to 0o7777, or false/],
    [
      () => atomicfs.writeFile(p, 'x', { encoding: 'klingon' as BufferEncoding }),
      /option encoding must be a Buffer encoding/,
    ],
    [() => atomicfs.lock(p, { timeout: -1 }), /option timeout must be a number of milliseconds >= 0, got -1/],
    [() => atomicfs.updateJson(p, () => 1, { timeout: '5' as unknown as number }), /option timeout must be a number/],
    [
      () => atomicfs.writeFile(p, 'x', 'utf8' as unknown as object),
      /options must be an object, got the string "utf8" \(for an encoding, pass \{ encoding: "utf8" \}\)/,
    ],
  ];
  for (const [run, message] of cases)
    await assert.rejects(run(), (err: atomicfs.AtomicError) => err.code === 'EINVAL' && message.test(err.message));
  assert.deepEqual(readdirSync(dir), []);
});

test('updateJson: `timeout` bounds the wait for the lock (ELOCKED), the one name for every wait', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'c.json');
  const release = await atomicfs.lock(p);
  await assert.rejects(
    atomicfs.updateJson(p, () => 1, { timeout: 30 }),
    { code: 'ELOCKED' },
  );
  await release();
  assert.equal(await atomicfs.updateJson(p, () => 2, { timeout: 30 }), 2);
  for (const call of optionCalls()) {
    const names = optionNames(call);
    assert.ok(!names.some((n) => /timeout/i.test(n) && n !== 'timeout'), `${call}: a wait is called \`timeout\``);
  }
});

test('an options bag with an undefined value for a known name is fine', async () => {
  const dir = await tmpDir();
  await atomicfs.writeFile(join(dir, 'f'), 'x', { mode: undefined, signal: undefined });
  assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'x');
});
