/**
 * A plan's `name` names its batch: kept in the backup and the audit entry that
 * `apply --backup-dir --audit` makes; a name that is not one line of text is refused by
 * the plan schema before anything happens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditLog, BackupStore } from '../src/index.js';
import { runCli } from './helpers/cli-run.js';
import { tmpDir } from './helpers/tmp.js';

test('a named plan names its backup and its audit entry; it may write into new folders', async () => {
  const dir = await tmpDir();
  await mkdir(join(dir, 'vault'));
  await writeFile(join(dir, 'vault', 'a.md'), 'a\n');
  await writeFile(
    join(dir, 'plan.yaml'),
    [
      'root: vault',
      'name: evening notes',
      'operations:',
      '  - { op: write, path: a.md, content: "a2\\n" }',
      '  - { op: create, path: new/deeper/b.md, content: "b\\n" }',
      '',
    ].join('\n'),
  );
  const r = await runCli([
    'apply',
    join(dir, 'plan.yaml'),
    '--backup-dir',
    join(dir, 'backups'),
    '--audit',
    join(dir, 'audit.log'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await readFile(join(dir, 'vault/new/deeper/b.md'), 'utf8'), 'b\n');
  const [b] = await new BackupStore(join(dir, 'backups')).list();
  assert.equal(b?.name, 'evening notes');
  assert.equal(b?.created.length, 1);
  const [e] = await new AuditLog(join(dir, 'audit.log')).entries({ name: 'evening' });
  assert.equal(e?.operation, 'transaction');
});

test('a plan whose name is not one line of text is refused, nothing changed', async () => {
  const dir = await tmpDir();
  await writeFile(
    join(dir, 'plan.json'),
    JSON.stringify({ name: 'two\nlines', operations: [{ op: 'write', path: 'x.md', content: 'x' }] }),
  );
  const r = await runCli(['apply', join(dir, 'plan.json'), '--root', dir]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /name/);
  await assert.rejects(readFile(join(dir, 'x.md')), { code: 'ENOENT' });
});
