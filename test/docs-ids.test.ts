/**
 * Every backup id printed in the docs (README.md, docs/*.md) is one the library's id
 * parser and the command accept: a reader who copies an example must not be told "not a
 * backup id".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBackupId } from '../src/backup/backup-id.js';
import { runCli } from './helpers/cli-run.js';
import { tmpDir } from './helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Anything that looks like an id (a compact UTC time, `Z-`, a suffix), looser than the
 * parser, so a mangled example is caught rather than skipped.
 */
const LOOKS_LIKE_ID = /\b\d{6,}T\d{4,}Z-[0-9A-Za-z]+\b/g;

async function docs(): Promise<string[]> {
  const inDocs = (await readdir(join(ROOT, 'docs'))).filter((n) => n.endsWith('.md')).map((n) => join(ROOT, 'docs', n));
  return [join(ROOT, 'README.md'), ...inDocs];
}

async function idsInDocs(): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (const file of await docs()) {
    for (const m of (await readFile(file, 'utf8')).matchAll(LOOKS_LIKE_ID)) {
      found.set(m[0], [...(found.get(m[0]) ?? []), file.slice(ROOT.length)]);
    }
  }
  return found;
}

test('the id pattern finds ids and the bad examples of old', () => {
  const text = 'a 20260101T120000000Z-1a2b3c4d and a 20260101T120000Z-1a2b.';
  assert.deepEqual(text.match(LOOKS_LIKE_ID), ['20260101T120000000Z-1a2b3c4d', '20260101T120000Z-1a2b']);
  assert.equal(isBackupId('20260101T120000Z-1a2b'), false);
});

test('every backup id in the docs passes the id parser', async () => {
  const ids = await idsInDocs();
  assert.ok(ids.size >= 1, 'the docs show at least one backup id');
  for (const [id, files] of ids) assert.ok(isBackupId(id), `${id} in ${files.join(', ')} is not a backup id`);
});

test('the command takes every id in the docs as an id (unknown in an empty store, not malformed)', async () => {
  const store = join(await tmpDir(), 'backups');
  await mkdir(store);
  for (const id of (await idsInDocs()).keys()) {
    const r = await runCli(['backups', 'show', id, '--backup-dir', store]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, new RegExp(`ENOENT: backup ${id} in .* does not exist`), r.stderr);
  }
});
