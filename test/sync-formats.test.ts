/**
 * Issue 14: the JSON and YAML calls driven synchronously (writeJsonSync, readJsonSync,
 * writeYamlSync, readYamlSync, updateJsonSync): the same protocols as their async twins,
 * the same results and errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  readJson,
  readJsonSync,
  readYamlSync,
  updateJson,
  updateJsonSync,
  writeJsonSync,
  writeYamlSync,
  type AtomicError,
  type Coordinator,
} from '../src/index.js';
import { sizeFromEnv, tmpDir } from './helpers/tmp.js';
import { childScript, run } from './helpers/child.js';

const PROCS = 4;
const INCREMENTS = sizeFromEnv('ATOMICFS_RACE_INCREMENTS', 20);
const schema = { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] };

test('writeJsonSync / readJsonSync: a round trip, the options and the result as for writeJson', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'a.json');
  const result = writeJsonSync(p, { n: 1, s: 'x' }, { spaces: 2, sha256: true });
  const text = readFileSync(p, 'utf8');
  assert.equal(text, '{\n  "n": 1,\n  "s": "x"\n}\n');
  assert.equal(result.sha256, createHash('sha256').update(text).digest('hex'));
  assert.deepEqual(readJsonSync(p, { schema }), { n: 1, s: 'x' });
  assert.deepEqual(await readJson(p), { n: 1, s: 'x' }); // the async twin reads the same
  assert.deepEqual(readdirSync(dir), ['a.json']);
});

test('writeJsonSync: a value failing its schema, or not encodable, is refused before anything is written', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'a.json');
  writeFileSync(p, '{"n":1}');
  assert.throws(
    () => writeJsonSync(p, { n: 'no' }, { schema }),
    (err: AtomicError) => err.code === 'EVALIDATION' && err.message.includes(p),
  );
  assert.throws(() => writeJsonSync(p, undefined), { code: 'EENCODE' });
  assert.equal(readFileSync(p, 'utf8'), '{"n":1}');
  assert.deepEqual(readdirSync(dir), ['a.json']);
});

test('readJsonSync: EPARSE for bad JSON, EVALIDATION against a schema, ENOENT for a missing file, each naming the path', async () => {
  const dir = await tmpDir();
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"n": 1,');
  assert.throws(
    () => readJsonSync(bad),
    (err: AtomicError) => err.code === 'EPARSE' && err.message.includes(bad),
  );
  const wrong = join(dir, 'wrong.json');
  writeFileSync(wrong, '{"n": "x"}');
  assert.throws(
    () => readJsonSync(wrong, { schema }),
    (err: AtomicError) => err.code === 'EVALIDATION' && err.message.includes(wrong),
  );
  const missing = join(dir, 'missing.json');
  assert.throws(
    () => readJsonSync(missing),
    (err: AtomicError) => err.code === 'ENOENT' && err.message.includes(missing),
  );
});

test('writeYamlSync / readYamlSync: a round trip; EPARSE for bad YAML, EVALIDATION against a schema', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'a.yaml');
  writeYamlSync(p, { n: 2, list: ['a', 'b'] });
  assert.match(readFileSync(p, 'utf8'), /^n: 2\nlist:\n {2}- a\n {2}- b\n$/);
  assert.deepEqual(readYamlSync(p), { n: 2, list: ['a', 'b'] });
  assert.throws(() => writeYamlSync(p, { n: 'x' }, { schema }), { code: 'EVALIDATION' });
  assert.deepEqual(readYamlSync(p, { schema }), { n: 2, list: ['a', 'b'] });
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'a: [1, 2\n');
  assert.throws(
    () => readYamlSync(bad),
    (err: AtomicError) => err.code === 'EPARSE' && err.message.includes(bad),
  );
});

test('updateJsonSync: reads, applies fn, writes, returns the new value; `default` for a missing file; no lock left', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'c.json');
  assert.deepEqual(
    updateJsonSync<{ n: number }>(p, (old) => ({ n: (old?.n ?? 0) + 1 }), { default: { n: 10 } }),
    { n: 11 },
  );
  assert.deepEqual(
    updateJsonSync<{ n: number }>(p, (old) => ({ n: old!.n * 2 })),
    { n: 22 },
  );
  assert.deepEqual(JSON.parse(readFileSync(p, 'utf8')), { n: 22 });
  assert.deepEqual(readdirSync(dir), ['c.json']);
});

test('updateJsonSync: an fn returning a promise is refused (EINVAL), an fn that throws passes its error; nothing written, lock released', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'c.json');
  writeFileSync(p, '{"n":1}');
  assert.throws(
    () => updateJsonSync(p, () => Promise.resolve({ n: 2 }) as unknown as { n: number }),
    (err: AtomicError) => err.code === 'EINVAL' && err.message.includes(p) && /promise/.test(err.message),
  );
  const boom = new Error('boom');
  assert.throws(
    () =>
      updateJsonSync(p, () => {
        throw boom;
      }),
    (err) => err === boom,
  );
  assert.throws(() => updateJsonSync(p, () => ({ n: 'x' }), { schema }), { code: 'EVALIDATION' });
  assert.equal(readFileSync(p, 'utf8'), '{"n":1}');
  assert.deepEqual(readdirSync(dir), ['c.json']);
  // The lock was released each time: a next update goes through at once.
  assert.deepEqual(
    updateJsonSync<{ n: number }>(p, (old) => ({ n: old!.n + 1 }), { timeout: 0 }),
    { n: 2 },
  );
});

test('updateJsonSync refuses a coordinator (asynchronous only) with EINVAL, touching nothing', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'c.json');
  const coordinator = { decideCommit: () => Promise.resolve() } as unknown as Coordinator;
  assert.throws(
    () => updateJsonSync(p, () => 1, { coordinator } as object),
    (err: AtomicError) =>
      err.code === 'EINVAL' && err.message.includes(p) && /coordinator.*asynchronous/.test(err.message),
  );
  assert.deepEqual(readdirSync(dir), []);
});

test('updateJsonSync while an updateJson of this process holds the file: ELOCKED at once, the file intact', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'c.json');
  writeFileSync(p, '{"n":1}');
  let inner: unknown;
  const result = await updateJson<{ n: number }>(p, (old) => {
    // The async update holds the lock now; the sync one can never get it while it blocks.
    try {
      updateJsonSync<{ n: number }>(p, () => ({ n: 100 }), { timeout: 1000 });
    } catch (err) {
      inner = err;
    }
    return { n: old!.n + 1 };
  });
  assert.equal((inner as AtomicError | undefined)?.code, 'ELOCKED');
  assert.match((inner as Error).message, /held by this process/);
  assert.ok((inner as Error).message.includes(p));
  assert.deepEqual(result, { n: 2 });
  assert.deepEqual(JSON.parse(readFileSync(p, 'utf8')), { n: 2 });
  assert.deepEqual(readdirSync(dir), ['c.json']);
});

test(`updateJsonSync and updateJson from ${PROCS} processes x ${INCREMENTS} increments end at exactly N x M`, async () => {
  const dir = await tmpDir();
  const p = join(dir, 'counter.json');
  const script = await childScript(
    dir,
    'inc.mjs',
    `
    const [path, times, mode] = process.argv.slice(2);
    const inc = (old) => ({ n: (old?.n ?? 0) + 1, last: process.pid });
    for (let i = 0; i < Number(times); i++) {
      if (mode === 'sync') atomicfs.updateJsonSync(path, inc);
      else await atomicfs.updateJson(path, inc);
    }
  `,
  );
  const modes = Array.from({ length: PROCS }, (_, i) => (i % 2 === 0 ? 'sync' : 'async'));
  const results = await Promise.all(modes.map((mode) => run(script, [p, String(INCREMENTS), mode]).done));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(readFileSync(p, 'utf8')) as { n: number }).n, PROCS * INCREMENTS);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n !== 'inc.mjs'),
    ['counter.json'],
  );
});
