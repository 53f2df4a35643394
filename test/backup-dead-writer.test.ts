/**
 * A batch killed while its backup was being made leaves an unfinished backup folder and
 * the backup's lock. Its writer is provably dead (its lock is free, or held by a process
 * of this host that is gone): prune() removes it at once, whatever the grace period, and
 * clears its lock. A backup still being written is never removed (backup-prune.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupStore, recover, writeFile } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';
import { childScript, run, waitFor } from './helpers/child.js';

// The one fault-injecting wrapper, as built beside this test.
const FAULT_DISK = new URL('./helpers/fault-disk.js', import.meta.url).href;

test('an unfinished backup of a killed batch is pruned at once, and its lock cleared', async () => {
  const root = await tmpDir('atomicfs-deadwriter-');
  const vault = join(root, 'vault');
  const store = join(root, 'backups');
  await mkdir(vault);
  for (let i = 0; i < 4; i++) await writeFile(join(vault, `n${i}.md`), `note ${i}`);
  // The child's backup store pauses for ever once it is keeping the files: it is then
  // killed, as a batch killed while its backup is made.
  const script = await childScript(
    root,
    'batch.mjs',
    `
    const { faultDisk } = await import(${JSON.stringify(FAULT_DISK)});
    const disk = faultDisk();
    disk.on((c) => c.op === 'link' && c.to.includes('/files/'), {
      before: async () => { console.log('keeping'); await new Promise(() => {}); },
    });
    const backup = new atomicfs.BackupStore(process.argv[3], { disk });
    setInterval(() => {}, 1000);
    await atomicfs.withTransaction((tx) => { for (let i = 0; i < 4; i++) tx.writeFile(process.argv[2] + '/n' + i + '.md', 'new ' + i); }, { root: process.argv[2], backup, name: 'killed batch' });
  `,
  );
  const { child, done } = run(script, [vault, store]);
  await waitFor(child, 'keeping');
  child.kill('SIGKILL');
  await done;
  const left = await readdir(store);
  assert.equal(left.filter((n) => !n.startsWith('.')).length, 1, 'an unfinished backup folder is left');
  assert.ok(
    left.some((n) => n.endsWith('.atomicfs-lock')),
    'and its lock',
  );

  const started = Date.now();
  // The default grace period (an hour) does not hold back a backup whose writer is dead.
  const { removed } = await new BackupStore(store).prune();
  assert.equal(removed.length, 1);
  assert.deepEqual(await readdir(store), [], 'folder and lock both gone');
  assert.ok(Date.now() - started < 25_000, 'no wait for the lock to go stale');
  await recover(vault);
  assert.deepEqual(await readdir(vault).then((n) => n.filter((x) => x.endsWith('.md')).sort()), [
    'n0.md',
    'n1.md',
    'n2.md',
    'n3.md',
  ]);
});
