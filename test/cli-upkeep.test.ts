/** `recover`, `cleanup`, `rotate` and `merge` from the shell. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished, jsonOf, runCli, startCli } from './helpers/cli-run.js';
import { largestOther, snapshot, waitFor } from './helpers/cli-files.js';
import { largePlan, makeFifo, stagingBegun } from './helpers/cli-plans.js';
import { sizeFromEnv, tmpDir } from './helpers/tmp.js';

test('recover rolls back an apply that was killed (SIGKILL) half-way; nothing changed, nothing left', async () => {
  const dir = await tmpDir();
  const fifo = join(await tmpDir(), 'held');
  makeFifo(fifo);
  // The pipe is never written: the commit waits on it, before its commit point, until killed.
  await largePlan(dir, sizeFromEnv('ATOMICFS_CLI_APPLY_FILES', 48), fifo);
  const before = await snapshot(dir);
  const child = startCli(['apply', 'plan.json'], { cwd: dir });
  const done = finished(child);
  await stagingBegun(dir);
  child.kill('SIGKILL');
  assert.equal((await done).signal, 'SIGKILL');
  const r = await runCli(['recover', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = jsonOf(r);
  assert.equal(doc.command, 'recover');
  assert.deepEqual(doc.report, {
    rolledBack: 1,
    rolledForward: 0,
    tempsRemoved: (doc.report as { tempsRemoved: number }).tempsRemoved,
  });
  assert.deepEqual(await snapshot(dir), before);
  assert.deepEqual(
    (await readdir(join(dir, '.atomicfs'))).filter((n) => n.endsWith('.journal')),
    [],
  );
  const again = await runCli(['recover', dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^recovered .*: 0 rolled back, 0 rolled forward, 0 temporary files removed\n$/);
});

test('cleanup removes the temporary file of a write that was killed, and nothing else', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'data.bin');
  await writeFile(target, 'old');
  await writeFile(join(dir, 'keep.tmp'), 'not ours');
  const child = startCli(['write', target]);
  const done = finished(child);
  child.stdin?.write(Buffer.alloc(1024 * 1024));
  await waitFor('the write to be under way', async () => (await largestOther(dir, 'keep.tmp')) >= 1024 * 1024);
  child.kill('SIGKILL');
  await done;
  assert.equal((await readdir(dir)).length, 3, 'the killed write left its temporary file');
  const r = await runCli(['cleanup', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((jsonOf(r).removed as string[]).length, 1);
  assert.deepEqual((await readdir(dir)).sort(), ['data.bin', 'keep.tmp']);
  assert.equal(await readFile(target, 'utf8'), 'old');
});

test('rotate shifts path -> path.1 -> path.2, keeping --max-files', async () => {
  const dir = await tmpDir();
  const log = join(dir, 'report.csv');
  for (const v of ['a', 'b', 'c']) {
    await writeFile(log, v);
    const r = await runCli(['rotate', log, '--max-files', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
  }
  assert.deepEqual((await readdir(dir)).sort(), ['report.csv.1', 'report.csv.2']);
  assert.equal(await readFile(`${log}.1`, 'utf8'), 'c');
  assert.equal(await readFile(`${log}.2`, 'utf8'), 'b');
  const nothing = await runCli(['rotate', log, '--max-files', '2', '--json']);
  assert.equal(nothing.code, 0, nothing.stderr);
  assert.equal(jsonOf(nothing).rotated, false);
});

test('merge combines JSON and YAML (later wins), checks --schema, writes atomically', async () => {
  const dir = await tmpDir();
  await writeFile(join(dir, 'defaults.yaml'), 'port: 80\ndb:\n  host: localhost\n  pool: 5\n');
  await writeFile(join(dir, 'site.json'), JSON.stringify({ db: { host: 'db.internal' } }));
  await writeFile(join(dir, 'schema.yaml'), 'type: object\nproperties:\n  port: { type: integer, maximum: 1024 }\n');
  const out = join(dir, 'config.json');
  const r = await runCli([
    'merge',
    join(dir, 'defaults.yaml'),
    join(dir, 'site.json'),
    '--out',
    out,
    '--schema',
    join(dir, 'schema.yaml'),
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const expected = { port: 80, db: { host: 'db.internal', pool: 5 } };
  assert.deepEqual(jsonOf(r).value, expected);
  assert.deepEqual(JSON.parse(await readFile(out, 'utf8')), expected);

  const shallow = await runCli([
    'merge',
    join(dir, 'defaults.yaml'),
    join(dir, 'site.json'),
    '--out',
    out,
    '--strategy',
    'shallow',
  ]);
  assert.equal(shallow.code, 0, shallow.stderr);
  assert.deepEqual(JSON.parse(await readFile(out, 'utf8')), { port: 80, db: { host: 'db.internal' } });

  await writeFile(join(dir, 'bad.json'), JSON.stringify({ port: 8080 }));
  const bad = await runCli([
    'merge',
    join(dir, 'defaults.yaml'),
    join(dir, 'bad.json'),
    '--out',
    out,
    '--schema',
    join(dir, 'schema.yaml'),
  ]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /EVALIDATION/);
  assert.match(bad.stderr, /rolled back: nothing was changed/);
  assert.deepEqual(JSON.parse(await readFile(out, 'utf8')), { port: 80, db: { host: 'db.internal' } });
});
