/**
 * A loop of symbolic links ends a write with ELOOP naming the path, and leaves nothing
 * behind: the write's own walk stops at MAX_LINK_HOPS (file/resolve-target.ts), a
 * transaction's at the same limit or at the system's realpath, whichever meets it first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { transaction, writeFile } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';

function isLoop(path: string) {
  return (err: unknown): boolean => {
    const e = err as NodeJS.ErrnoException;
    const causes: NodeJS.ErrnoException[] = [e, e.cause as NodeJS.ErrnoException];
    return causes.some((c) => c?.code === 'ELOOP' && c.message.includes(path));
  };
}

test('writeFile through a loop of symbolic links fails with ELOOP naming the path; nothing is left', async () => {
  const dir = await tmpDir();
  await symlink(join(dir, 'b'), join(dir, 'a'));
  await symlink(join(dir, 'a'), join(dir, 'b'));
  await assert.rejects(writeFile(join(dir, 'a'), 'x'), isLoop(join(dir, 'a')));
  assert.deepEqual((await readdir(dir)).sort(), ['a', 'b']);
});

test('a transaction writing through a loop of symbolic links fails with ELOOP; nothing is left', async () => {
  const dir = await tmpDir();
  await symlink(join(dir, 'b'), join(dir, 'a'));
  await symlink(join(dir, 'a'), join(dir, 'b'));
  const tx = await transaction({ root: dir });
  tx.writeFile(join(dir, 'a'), 'x');
  await assert.rejects(tx.commit(), isLoop(join(dir, 'a')));
  assert.deepEqual((await readdir(dir)).filter((n) => n !== '.atomicfs').sort(), ['a', 'b']);
});
