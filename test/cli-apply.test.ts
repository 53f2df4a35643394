/**
 * `apply <plan>`: a plan file as one transaction. Valid plans (JSON and YAML) apply in
 * full; an invalid plan, or one that fails half-way, changes nothing (status 1, "rolled
 * back"); SIGINT during a large apply changes nothing (status 130).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished, jsonOf, runCli, shellStatus, startCli } from './helpers/cli-run.js';
import { snapshot } from './helpers/cli-files.js';
import { largePlan, makeFifo, releaseFifo, stagingBegun } from './helpers/cli-plans.js';
import { sizeFromEnv, tmpDir } from './helpers/tmp.js';

async function site(): Promise<string> {
  const dir = await tmpDir();
  await mkdir(join(dir, 'www'));
  await writeFile(join(dir, 'www', 'index.html'), '<p>old</p>\n');
  await writeFile(join(dir, 'www', 'old.html'), 'old page\n');
  await writeFile(join(dir, 'notes.txt'), 'notes\n');
  await writeFile(
    join(dir, 'schema.json'),
    JSON.stringify({ type: 'object', required: ['version'], properties: { version: { type: 'integer' } } }),
  );
  await mkdir(join(dir, 'build'));
  await writeFile(join(dir, 'build', 'index.html'), '<p>new</p>\n');
  return dir;
}

test('a YAML plan applies every kind of operation; --json reports the transaction', async () => {
  const dir = await site();
  await writeFile(
    join(dir, 'plan.yaml'),
    [
      'root: .',
      'operations:',
      '  - { op: write, path: www/index.html, contentFrom: build/index.html }',
      '  - { op: create, path: www/new.txt, content: "fresh\\n", mode: "600" }',
      '  - { op: write, path: bin.dat, content: "aGVsbG8=", encoding: base64 }',
      '  - { op: delete, path: www/old.html }',
      '  - { op: copy, src: notes.txt, dest: notes.bak }',
      '  - { op: move, src: notes.txt, dest: www/notes.txt }',
      '  - { op: writeJson, path: config.json, value: { version: 2 }, schema: schema.json }',
      '  - { op: writeYaml, path: config.yaml, value: { version: 2, name: site } }',
      '',
    ].join('\n'),
  );
  const r = await runCli(['apply', join(dir, 'plan.yaml'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = jsonOf(r);
  assert.equal(doc.ok, true);
  assert.equal(doc.command, 'apply');
  assert.equal(typeof doc.id, 'string');
  assert.equal((doc.changed as string[]).length, 9);
  const after = await snapshot(dir);
  assert.equal(after['www/index.html'], '<p>new</p>\n');
  assert.equal(after['www/new.txt'], 'fresh\n');
  assert.equal(after['bin.dat'], 'hello');
  assert.equal(after['www/old.html'], undefined);
  assert.equal(after['notes.bak'], 'notes\n');
  assert.equal(after['notes.txt'], undefined);
  assert.equal(after['www/notes.txt'], 'notes\n');
  assert.deepEqual(JSON.parse(after['config.json'] ?? ''), { version: 2 });
  assert.equal(after['config.yaml'], 'version: 2\nname: site\n');
});

test('a JSON plan with --root; human output names the plan', async () => {
  const dir = await site();
  const plan = join(dir, 'build', 'plan.json');
  await writeFile(plan, JSON.stringify({ operations: [{ op: 'write', path: 'www/index.html', content: 'v3' }] }));
  const r = await runCli(['apply', plan, '--root', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^applied .*plan\.json: 1 operations, 1 files changed \(transaction \S+\)\n$/);
  assert.equal(await readFile(join(dir, 'www', 'index.html'), 'utf8'), 'v3');
});

test('a plan that does not match the published schema is refused before anything happens', async () => {
  const dir = await site();
  const before = await snapshot(dir);
  const plan = join(dir, 'bad.json');
  await writeFile(
    plan,
    JSON.stringify({
      operations: [
        { op: 'write', path: 'www/index.html', content: 'x' },
        { op: 'chmod', path: 'notes.txt' },
      ],
    }),
  );
  const r = await runCli(['apply', plan, '--json'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /EVALIDATION/);
  assert.ok(r.stderr.includes('bad.json'), r.stderr);
  assert.match(r.stderr, /\/operations\/1/);
  assert.equal((jsonOf(r).error as { code: string }).code, 'EVALIDATION');
  assert.deepEqual(await snapshot(dir), { ...before, 'bad.json': await readFile(plan, 'utf8') });
});

test('a plan that fails half-way changes nothing: status 1, rolled back', async () => {
  const dir = await site();
  const plan = join(dir, 'plan.json');
  const failures: [string, object, RegExp][] = [
    ['create over an existing file', { op: 'create', path: 'notes.txt', content: 'clobber?' }, /EEXIST/],
    ['content from a missing file', { op: 'write', path: 'x.txt', contentFrom: 'build/missing.html' }, /ENOENT/],
    [
      'a value that fails its schema',
      { op: 'writeJson', path: 'config.json', value: { version: 'two' }, schema: 'schema.json' },
      /EVALIDATION/,
    ],
    ['a path outside the root', { op: 'write', path: '../escape.txt', content: 'x' }, /EOUTSIDEROOT/],
    ['deleting a missing file', { op: 'delete', path: 'www/none.html' }, /ENOENT/],
  ];
  for (const [what, bad, code] of failures) {
    await writeFile(
      plan,
      JSON.stringify({
        operations: [
          { op: 'write', path: 'www/index.html', content: 'half' },
          { op: 'delete', path: 'www/old.html' },
          bad,
          { op: 'write', path: 'later.txt', content: 'never' },
        ],
      }),
    );
    const before = await snapshot(dir);
    const r = await runCli(['apply', plan, '--json'], { cwd: dir });
    assert.equal(r.code, 1, `${what}: ${r.stderr}`);
    assert.match(r.stderr, code, what);
    assert.match(r.stderr, /rolled back: nothing was changed/, what);
    assert.equal((jsonOf(r).error as { rolledBack: boolean }).rolledBack, true, what);
    assert.deepEqual(await snapshot(dir), before, what);
    const names = await readdir(dir);
    assert.ok(!names.some((n) => n.includes('stage') || n.includes('.tmp')), `${what}: left ${names.join(' ')}`);
  }
});

// Size of the interrupted apply; larger runs: ATOMICFS_CLI_APPLY_FILES=200.
const APPLY_FILES = sizeFromEnv('ATOMICFS_CLI_APPLY_FILES', 48);

test('SIGINT during a large apply: status 130, nothing changed', async () => {
  const dir = await tmpDir();
  const fifo = join(await tmpDir(), 'held');
  makeFifo(fifo);
  await largePlan(dir, APPLY_FILES, fifo);
  const before = await snapshot(dir);
  const child = startCli(['apply', 'plan.json'], { cwd: dir });
  const done = finished(child);
  await stagingBegun(dir);
  child.kill('SIGINT');
  // The commit waits on the pipe before its commit point: let it go on, now interrupted.
  await releaseFifo(fifo);
  const r = await done;
  assert.equal(shellStatus(r), 130, `status ${String(r.code)} / ${String(r.signal)}: ${r.stderr}`);
  assert.deepEqual(await snapshot(dir), before);
});
