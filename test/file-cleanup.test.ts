/**
 * cleanupTemps removes only this library's abandoned temporary files: never a user's
 * file with a similar name, a staged file of a transaction, a link or a folder. It also
 * clears the locks of dead holders, and never a live one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, symlink, utimes, writeFile as fsWriteFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { cleanupTemps, lock } from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';
import { faultDisk } from './helpers/fault-disk.js';

const HEX = 'a1b2c3d4e5f6';
// No process has this pid: Linux pids stay below 2^22.
const DEAD_PID = 99_999_999;
const HOUR_AGO = (Date.now() - 3_600_000) / 1000;

async function plant(dir: string, name: string, old = false): Promise<void> {
  await fsWriteFile(join(dir, name), 'data');
  if (old) await utimes(join(dir, name), HOUR_AGO, HOUR_AGO);
}

test('removes temps of dead writers and old temps; keeps young temps of live writers', async () => {
  const dir = await tmpDir();
  const dead = `.config.json.${DEAD_PID}-${HEX}.atomicfs-tmp`;
  const mineYoung = `.config.json.${process.pid}-${HEX}.atomicfs-tmp`;
  const mineOld = `.other.${process.pid}-${HEX}.atomicfs-tmp`;
  await plant(dir, dead);
  await plant(dir, mineYoung);
  await plant(dir, mineOld, true);
  const { removed } = await cleanupTemps(dir);
  assert.deepEqual(removed.sort(), [join(dir, dead), join(dir, mineOld)].sort());
  assert.deepEqual(await readdir(dir), [mineYoung]);
  // With olderThanMs: 0 every temp counts as old.
  assert.deepEqual((await cleanupTemps(dir, { olderThanMs: 0 })).removed, [join(dir, mineYoung)]);
});

test('never touches user files with similar names, staged files, links or folders', async () => {
  const dir = await tmpDir();
  const keep = [
    `config.json.${DEAD_PID}-${HEX}.atomicfs-tmp`, // no leading dot
    `.config.json.${DEAD_PID}-${HEX}.atomicfs-tmp.bak`,
    `.config.json.${DEAD_PID}-${HEX}.atomicfs-tmp~`,
    `.config.json.${DEAD_PID}-XYZXYZXYZXYZ.atomicfs-tmp`, // not hex
    `.config.json.${DEAD_PID}-${HEX}0.atomicfs-tmp`, // 13 hex digits
    `.config.json.abc-${HEX}.atomicfs-tmp`, // no pid
    `.config.json.${DEAD_PID}-${HEX}.atomicfs-stage`, // a transaction's staged file
    `.config.json.tx1-${HEX}.atomicfs-stage`,
    'config.json',
    '.atomicfs-tmp',
  ];
  for (const name of keep) await plant(dir, name, true);
  await mkdir(join(dir, `.d.${DEAD_PID}-${HEX}.atomicfs-tmp`));
  await symlink('config.json', join(dir, `.l.${DEAD_PID}-${HEX}.atomicfs-tmp`));
  const before = (await readdir(dir)).sort();
  assert.deepEqual((await cleanupTemps(dir, { olderThanMs: 0 })).removed, []);
  assert.deepEqual((await readdir(dir)).sort(), before);
});

test('is not recursive unless asked; recursive skips the .atomicfs state folder', async () => {
  const dir = await tmpDir();
  const name = `.f.${DEAD_PID}-${HEX}.atomicfs-tmp`;
  await mkdir(join(dir, 'sub', 'deeper'), { recursive: true });
  await mkdir(join(dir, '.atomicfs'));
  await plant(join(dir, 'sub', 'deeper'), name);
  await plant(join(dir, '.atomicfs'), name);
  assert.deepEqual((await cleanupTemps(dir)).removed, []);
  assert.deepEqual((await cleanupTemps(dir, { recursive: true })).removed, [join(dir, 'sub', 'deeper', name)]);
  assert.deepEqual(await readdir(join(dir, '.atomicfs')), [name]);
});

test('errors: a missing folder is ENOENT naming it; a bad olderThanMs is EINVAL', async () => {
  const dir = await tmpDir();
  const missing = join(dir, 'missing');
  await assert.rejects(
    cleanupTemps(missing),
    (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && err.message.includes(missing),
  );
  await assert.rejects(cleanupTemps(dir, { olderThanMs: -1 }), { code: 'EINVAL' });
  await assert.rejects(cleanupTemps(dir, { olderThanMs: Number.NaN }), { code: 'EINVAL' });
});

test('removes the temp that a killed writer really left behind', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'target');
  // The child starts a streamed write that never ends, says so, and is then SIGKILLed.
  const entry = new URL('../src/index.js', import.meta.url).href;
  const code = `
    import { writeFile } from ${JSON.stringify(entry)};
    async function* slow() { yield Buffer.from('partial'); console.log('writing'); await new Promise(() => setInterval(() => {}, 1000)); }
    await writeFile(${JSON.stringify(target)}, slow());
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('writing') && resolve());
    child.once('exit', () => reject(new Error('child exited early')));
  });
  const temps = (await readdir(dir)).filter((n) => n.endsWith('.atomicfs-tmp'));
  assert.equal(temps.length, 1, 'the writer has its temp');
  // While the writer lives, its young temp is left alone.
  assert.deepEqual((await cleanupTemps(dir)).removed, []);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  assert.deepEqual((await cleanupTemps(dir)).removed, [join(dir, temps[0]!)]);
  assert.deepEqual(await readdir(dir), []);
});

test("clears dead holders' locks (links and folders) and old aside records; keeps live ones", async () => {
  const dir = await tmpDir();
  const record = (pid: number, host = hostname()): string =>
    JSON.stringify({ pid, host, token: 'cafecafecafe', since: Date.now() });
  await fsWriteFile(join(dir, '.a.atomicfs-lock'), `${record(DEAD_PID)}\n`); // a dead transaction's link
  await mkdir(join(dir, '.b.atomicfs-lock'));
  await fsWriteFile(join(dir, '.b.atomicfs-lock', 'x'), record(DEAD_PID)); // a dead lock() holder
  await plant(join(dir, '.b.atomicfs-lock'), `b-${HEX}`, true); // moved aside by a killed breaker
  await plant(dir, `.c.atomicfs-lock.b-${HEX}`, true);
  await plant(dir, `.y.atomicfs-lock.b-${HEX}`); // young: may be a breaker at work
  await fsWriteFile(join(dir, '.e.atomicfs-lock'), `${record(1, 'another-host')}\n`); // fresh, elsewhere
  const release = await lock(join(dir, 'd')); // live, this process
  try {
    const { removed } = await cleanupTemps(dir, { olderThanMs: 0 });
    assert.deepEqual(
      removed.sort(),
      [
        join(dir, '.a.atomicfs-lock'),
        join(dir, '.b.atomicfs-lock'),
        join(dir, '.b.atomicfs-lock', 'x'),
        join(dir, '.b.atomicfs-lock', `b-${HEX}`),
        join(dir, `.c.atomicfs-lock.b-${HEX}`),
      ].sort(),
    );
    assert.deepEqual((await readdir(dir)).sort(), [
      '.d.atomicfs-lock',
      '.e.atomicfs-lock',
      `.y.atomicfs-lock.b-${HEX}`,
    ]);
    await assert.rejects(lock(join(dir, 'd'), { timeout: 30 }), { code: 'ELOCKED' }, 'the live lock still holds');
  } finally {
    await release();
  }
});

test('a lock released between cleanupTemps finding its folder and listing it is passed over, not an error', async () => {
  const dir = await tmpDir();
  const release = await lock(join(dir, 'd'));
  const folder = join(dir, '.d.atomicfs-lock');
  // Its holder lets go right as the folder is about to be listed (forced here).
  const disk = faultDisk();
  const rule = disk.on((c) => c.op === 'readdir' && c.path === folder, { before: () => release(), times: 1 });
  const { removed } = await cleanupTemps(dir, { olderThanMs: 0, disk });
  assert.equal(rule.hits, 1, 'the race was met');
  assert.deepEqual(removed, []);
  assert.deepEqual(await readdir(dir), []);
});
