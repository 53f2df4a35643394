/**
 * Issue 14: a synchronous write in a `process.on('exit')` handler, where nothing
 * asynchronous runs any more, is complete and durable when the process is gone: the
 * temporary file is synced before its rename and the folder after it, all before exit.
 * The asynchronous call, for contrast, never gets past its first disk call there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childScript, run } from './helpers/child.js';
import { tmpDir } from './helpers/tmp.js';

/**
 * The real disk with its synchronous calls logged (in order, with their paths): what a
 * durable write must do before the process ends.
 */
const LOGGING_DISK = `
import { nodeDisk } from ${JSON.stringify(new URL('../src/disk/index.js', import.meta.url).href)};
const log = [];
const logged = (name, fn) => (...a) => { log.push(name + ' ' + a.filter((x) => typeof x === 'string').join(' ')); return fn(...a); };
const disk = { ...nodeDisk };
for (const k of ['renameSync', 'syncDirSync', 'unlinkSync', 'linkSync']) disk[k] = logged(k, nodeDisk[k].bind(nodeDisk));
disk.openSync = (path, flags, mode) => {
  log.push('openSync ' + path + ' ' + flags);
  const f = nodeDisk.openSync(path, flags, mode);
  const fsync = f.syncSync.bind(f);
  f.syncSync = () => { log.push('file.syncSync ' + path); fsync(); };
  return f;
};
`;

test('writeFileSync in an exit handler: the file is replaced, synced before its rename and its folder after', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'settings.json');
  writeFileSync(target, '{"theme":"light"}');
  const script = await childScript(
    dir,
    'exit-sync.mjs',
    `${LOGGING_DISK}
process.on('exit', () => {
  atomicfs.writeFileSync(${JSON.stringify(target)}, '{"theme":"dark"}', { disk });
  process.stdout.write(JSON.stringify(log));
});
process.exitCode = 0;`,
  );
  const { done } = run(script);
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(target, 'utf8'), '{"theme":"dark"}');
  const log = JSON.parse(r.stdout) as string[];
  const at = (prefix: string): number => log.findIndex((l) => l.startsWith(prefix));
  const opened = log.find((l) => l.startsWith('openSync') && l.endsWith(' wx'));
  assert.ok(opened, `the temporary file is created exclusively: ${log.join(' | ')}`);
  const temp = opened.split(' ')[1]!;
  assert.notEqual(temp, target);
  assert.ok(at(`file.syncSync ${temp}`) > at(`openSync ${temp}`), 'the temporary file is synced');
  assert.ok(at(`renameSync ${temp} ${target}`) > at(`file.syncSync ${temp}`), 'before its rename');
  assert.ok(at(`syncDirSync ${dir}`) > at(`renameSync ${temp}`), 'and the folder after it');
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.includes('settings.json.')),
    [],
    'no temporary file is left',
  );
});

test('writeFile (asynchronous) in an exit handler is cut off: the reason for the synchronous call', async () => {
  const dir = await tmpDir();
  const target = join(dir, 'settings.json');
  writeFileSync(target, 'old');
  const script = await childScript(
    dir,
    'exit-async.mjs',
    `process.on('exit', () => { void atomicfs.writeFile(${JSON.stringify(target)}, 'new').catch(() => {}); });`,
  );
  const r = await run(script).done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(target, 'utf8'), 'old', 'no asynchronous work runs after exit');
});

test('writeFileSync in an exit handler, on the simulated disk: a power cut right after exit loses nothing', async () => {
  const dir = await tmpDir();
  const sim = JSON.stringify(new URL('./sim/sim-disk.js', import.meta.url).href);
  const script = await childScript(
    dir,
    'exit-sim.mjs',
    `import { SimDisk } from ${sim};
const disk = new SimDisk();
disk.seedDir('/data');
disk.seedFile('/data/settings.json', '{"theme":"light"}');
process.on('exit', () => {
  atomicfs.writeFileSync('/data/settings.json', '{"theme":"dark"}', { disk });
  // Every change the write made must survive: all pending (unsynced) work is lost here.
  const after = SimDisk.fromImage(disk.crashImage('lost'));
  const entries = [...after.tree('/data').keys()];
  process.stdout.write(JSON.stringify({ content: after.contentOf('/data/settings.json'), entries }));
});`,
  );
  const r = await run(script).done;
  assert.equal(r.code, 0, r.stderr);
  const seen = JSON.parse(r.stdout) as { content: string; entries: string[] };
  assert.equal(seen.content, '{"theme":"dark"}', 'the new content is durable');
  assert.deepEqual(seen.entries, ['/data/settings.json'], 'and no temporary file is left behind');
});
