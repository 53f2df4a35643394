/** mergeConfigs: JSON and YAML in, deep or shallow, validated, written atomically. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile as fsWriteFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as yamlParse } from 'yaml';
import { mergeConfigs } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';

async function inputs(dir: string): Promise<string[]> {
  const base = join(dir, 'base.json');
  const env = join(dir, 'env.yaml');
  const local = join(dir, 'local.yml');
  await fsWriteFile(
    base,
    JSON.stringify({
      name: 'app',
      server: { host: 'localhost', port: 80, tls: { on: false } },
      plugins: ['a', 'b'],
      debug: true,
    }),
  );
  await fsWriteFile(env, 'server:\n  port: 8080\n  tls:\n    cert: /etc/cert\nplugins: [c]\n');
  await fsWriteFile(local, '# only comments\n');
  return [base, env, local];
}

test('deep: objects merged recursively, arrays and scalars replaced, later wins; JSON out', async () => {
  const dir = await tmpDir();
  const out = join(dir, 'out.json');
  const r = await mergeConfigs(await inputs(dir), out, { strategy: 'deep' });
  const expected = {
    name: 'app',
    server: { host: 'localhost', port: 8080, tls: { on: false, cert: '/etc/cert' } },
    plugins: ['c'],
    debug: true,
  };
  assert.deepEqual(r.value, expected);
  assert.deepEqual(JSON.parse(await readFile(out, 'utf8')), expected);
  assert.equal(r.path, out);
  assert.match(r.sha256, /^[0-9a-f]{64}$/);
});

test('shallow: top-level keys replaced whole; YAML out', async () => {
  const dir = await tmpDir();
  const out = join(dir, 'out.yaml');
  await mergeConfigs(await inputs(dir), out, { strategy: 'shallow' });
  assert.deepEqual(yamlParse(await readFile(out, 'utf8')), {
    name: 'app',
    server: { port: 8080, tls: { cert: '/etc/cert' } },
    plugins: ['c'],
    debug: true,
  });
});

test('null replaces a value; __proto__ stays a plain key', async () => {
  const dir = await tmpDir();
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.json');
  await fsWriteFile(a, '{"x": {"y": 1}, "z": 2}');
  await fsWriteFile(b, '{"x": null, "__proto__": {"polluted": true}}');
  const r = await mergeConfigs([a, b], join(dir, 'o.json'), { strategy: 'deep' });
  assert.equal(r.value.x, null);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(r.value), Object.prototype);
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'o.json'), 'utf8')), {
    x: null,
    z: 2,
    ['__proto__']: { polluted: true },
  });
});

test('a schema failure, a parse error or a non-object input leaves the output untouched', async () => {
  const dir = await tmpDir();
  const out = join(dir, 'out.json');
  await fsWriteFile(out, '{"previous": true}\n');
  const files = await inputs(dir);
  const schema = {
    type: 'object',
    properties: { server: { type: 'object', properties: { port: { type: 'integer', maximum: 1024 } } } },
  };
  await assert.rejects(mergeConfigs(files, out, { strategy: 'deep', schema }), (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, 'EVALIDATION');
    assert.match(err.message, /\/server\/port/);
    return true;
  });
  const bad = join(dir, 'bad.yaml');
  await fsWriteFile(bad, 'a: [1, 2\n');
  await assert.rejects(mergeConfigs([...files, bad], out, { strategy: 'deep' }), { code: 'EPARSE' });
  const list = join(dir, 'list.json');
  await fsWriteFile(list, '[1, 2]');
  await assert.rejects(mergeConfigs([list], out, { strategy: 'deep' }), /must hold an object/);
  await assert.rejects(mergeConfigs([join(dir, 'missing.json')], out, { strategy: 'deep' }), { code: 'ENOENT' });
  assert.equal(await readFile(out, 'utf8'), '{"previous": true}\n');
  assert.deepEqual(
    (await readdir(dir)).filter((n) => n.includes('atomicfs')),
    [],
    'no temporary left',
  );
});

test('bad arguments are EINVAL before anything is read', async () => {
  const dir = await tmpDir();
  await assert.rejects(mergeConfigs([], join(dir, 'o.json'), { strategy: 'deep' }), { code: 'EINVAL' });
  await assert.rejects(mergeConfigs([join(dir, 'a.txt')], join(dir, 'o.json'), { strategy: 'deep' }), /unknown format/);
  await assert.rejects(mergeConfigs([join(dir, 'a.json')], join(dir, 'o.ini'), { strategy: 'deep' }), /unknown format/);
  await assert.rejects(mergeConfigs([join(dir, 'a.json')], join(dir, 'o.json'), { strategy: 'wide' as 'deep' }), {
    code: 'EINVAL',
  });
  await assert.rejects(
    mergeConfigs([join(dir, 'a.json')], join(dir, 'o.json'), { strategy: 'deep', schema: { type: 'nonsense' } }),
    { code: 'ESCHEMA' },
  );
});
