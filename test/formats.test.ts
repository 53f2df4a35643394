import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, readYaml, updateJson, writeJson, writeYaml, ValidationError } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';

const schema = {
  type: 'object',
  properties: { name: { type: 'string' }, email: { type: 'string', format: 'email' }, n: { type: 'integer' } },
  required: ['name'],
  additionalProperties: false,
};

test('writeJson/readJson round trip with schema', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'a.json');
  const r = await writeJson(p, { name: 'x', email: 'a@b.co' }, { schema });
  assert.equal(r.path, p);
  assert.deepEqual(await readJson(p, { schema }), { name: 'x', email: 'a@b.co' });
  assert.equal(readFileSync(p, 'utf8'), '{\n  "name": "x",\n  "email": "a@b.co"\n}\n');
});

test('a value failing the schema is refused before touching the disk', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'a.json');
  writeFileSync(p, '{"name":"old"}');
  await assert.rejects(writeJson(p, { name: 1, email: 'nope' }, { schema }), (err: unknown) => {
    assert.ok(err instanceof ValidationError);
    assert.equal(err.code, 'EVALIDATION');
    assert.match(err.message, /a\.json/);
    assert.match(err.message, /email/);
    return true;
  });
  assert.equal(readFileSync(p, 'utf8'), '{"name":"old"}');
  assert.deepEqual(readdirSync(dir), ['a.json']);
});

test('readJson checks the schema after parsing', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'a.json');
  writeFileSync(p, '{"name": 5}');
  await assert.rejects(readJson(p, { schema }), { code: 'EVALIDATION' });
});

test('values JSON cannot encode get EENCODE naming the file, and nothing is written', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'a.json');
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  await assert.rejects(writeJson(p, cyclic), /a\.json.*circular reference at \/self/);
  await assert.rejects(writeJson(p, { big: 10n }), /a\.json.*BigInt at \/big/);
  await assert.rejects(writeJson(p, undefined), { code: 'EENCODE' });
  assert.deepEqual(readdirSync(dir), []);
});

test('a schema that does not compile is a clear error', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'a.json');
  await assert.rejects(writeJson(p, {}, { schema: { type: 'nonsense' } }), (err: unknown) => {
    assert.equal((err as { code: string }).code, 'ESCHEMA');
    assert.match((err as Error).message, /a\.json/);
    return true;
  });
  assert.deepEqual(readdirSync(dir), []);
});

test('parse errors name the file and the line', async () => {
  const dir = await tmpDir();
  const j = join(dir, 'bad.json');
  writeFileSync(j, '{\n  "a": 1,\n  "b": oops\n}\n');
  await assert.rejects(readJson(j), (err: unknown) => {
    assert.equal((err as { code: string }).code, 'EPARSE');
    assert.match((err as Error).message, /bad\.json: invalid JSON at line 3/);
    return true;
  });
  const y = join(dir, 'bad.yaml');
  writeFileSync(y, 'a: 1\nb: [1, 2\nc: 3\n');
  await assert.rejects(readYaml(y), /bad\.yaml: invalid YAML at line \d+/);
});

test('writeYaml/readYaml round trip', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'c.yaml');
  await writeYaml(p, { name: 'x', list: [1, 2], nested: { ok: true } });
  assert.match(readFileSync(p, 'utf8'), /name: x\n/);
  assert.deepEqual(await readYaml(p), { name: 'x', list: [1, 2], nested: { ok: true } });
});

test('updateJson reads, applies fn, validates and writes; default for a missing file', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'n.json');
  const v = await updateJson<{ n: number }>(p, (old) => ({ n: (old?.n ?? 0) + 1 }), { default: { n: 41 } });
  assert.deepEqual(v, { n: 42 });
  assert.deepEqual(await readJson(p), { n: 42 });
  await assert.rejects(
    updateJson(p, () => ({ n: 'x' }), { schema: { type: 'object', properties: { n: { type: 'number' } } } }),
    {
      code: 'EVALIDATION',
    },
  );
  assert.deepEqual(await readJson(p), { n: 42 });
  await assert.rejects(
    updateJson(p, () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.deepEqual(readdirSync(dir), ['n.json'], 'no lock folder or temp left');
});
