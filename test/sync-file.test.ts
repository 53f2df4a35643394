/**
 * Issue 14: the synchronous single-file calls give the same results, the same errors and
 * leave the same files as their asynchronous twins. Each case runs twice, once each way,
 * in two fresh folders set up alike; outcome and folder contents must match, and match
 * what the case expects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync as fsWriteFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import * as atomicfs from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';

type Outcome = { ok: unknown } | { code: string; names: boolean };

interface Case {
  name: string;
  setup?(dir: string): void;
  /** The call, made asynchronously (`sync` false) or synchronously. */
  run(dir: string, sync: boolean): unknown;
  /** The expected error code, if any. */
  code?: string;
}

const a = atomicfs;
const f = (dir: string, name = 'f.txt'): string => join(dir, name);
const seed = (dir: string): void => fsWriteFileSync(f(dir), 'old');

const CASES: Case[] = [
  {
    name: 'writeFile creates',
    run: (d, s) => (s ? a.writeFileSync(f(d), 'new') : a.writeFile(f(d), 'new')),
  },
  {
    name: 'writeFile replaces, keeping the mode',
    setup: (d) => (seed(d), chmodSync(f(d), 0o640)),
    run: (d, s) => (s ? a.writeFileSync(f(d), 'new') : a.writeFile(f(d), 'new')),
  },
  {
    name: 'writeFile with sha256, mode and encoding',
    run: (d, s) => {
      const opts = { sha256: true, mode: 0o600, encoding: 'latin1' } as const;
      return s ? a.writeFileSync(f(d), 'caf\u00e9', opts) : a.writeFile(f(d), 'caf\u00e9', opts);
    },
  },
  {
    name: 'writeFile through a symbolic link replaces its target and keeps the link',
    setup: (d) => (seed(d), symlinkSync('f.txt', f(d, 'link'))),
    run: (d, s) => (s ? a.writeFileSync(f(d, 'link'), 'new') : a.writeFile(f(d, 'link'), 'new')),
  },
  {
    name: 'writeFile with parents makes the folders',
    run: (d, s) =>
      s
        ? a.writeFileSync(f(d, 'x/y/z.txt'), 'deep', { parents: true })
        : a.writeFile(f(d, 'x/y/z.txt'), 'deep', { parents: true }),
  },
  {
    name: 'writeFile into a missing folder',
    run: (d, s) => (s ? a.writeFileSync(f(d, 'no/z.txt'), 'x') : a.writeFile(f(d, 'no/z.txt'), 'x')),
    code: 'ENOENT',
  },
  {
    name: 'writeFile over a folder',
    setup: (d) => mkdirSync(f(d, 'sub')),
    run: (d, s) => (s ? a.writeFileSync(f(d, 'sub'), 'x') : a.writeFile(f(d, 'sub'), 'x')),
    code: 'EISDIR',
  },
  {
    name: 'writeFile with a trailing slash',
    run: (d, s) => (s ? a.writeFileSync(f(d) + '/', 'x') : a.writeFile(f(d) + '/', 'x')),
    code: 'ENOTDIR',
  },
  {
    name: 'writeFile with verify',
    setup: seed,
    run: (d, s) =>
      s ? a.writeFileSync(f(d), 'checked', { verify: true }) : a.writeFile(f(d), 'checked', { verify: true }),
  },
  {
    name: 'createFile over an existing file',
    setup: seed,
    run: (d, s) => (s ? a.createFileSync(f(d), 'new') : a.createFile(f(d), 'new')),
    code: 'EEXIST',
  },
  {
    name: 'createFile makes a new file',
    run: (d, s) => (s ? a.createFileSync(f(d), 'new', { sha256: true }) : a.createFile(f(d), 'new', { sha256: true })),
  },
  {
    name: 'readFile as text',
    setup: seed,
    run: (d, s) => (s ? a.readFileSync(f(d), { encoding: 'utf8' }) : a.readFile(f(d), { encoding: 'utf8' })),
  },
  {
    name: 'readFile as bytes',
    setup: seed,
    run: (d, s) => (s ? a.readFileSync(f(d)) : a.readFile(f(d))),
  },
  {
    name: 'readFile of a missing file',
    run: (d, s) => (s ? a.readFileSync(f(d)) : a.readFile(f(d))),
    code: 'ENOENT',
  },
  {
    name: 'readFile of a folder',
    run: (d, s) => (s ? a.readFileSync(d) : a.readFile(d)),
    code: 'EISDIR',
  },
  {
    name: 'sha256File',
    setup: seed,
    run: (d, s) => (s ? a.sha256FileSync(f(d)) : a.sha256File(f(d))),
  },
  {
    name: 'deleteFile',
    setup: seed,
    run: (d, s) => (s ? a.deleteFileSync(f(d)) : a.deleteFile(f(d))),
  },
  {
    name: 'deleteFile of a missing file',
    run: (d, s) => (s ? a.deleteFileSync(f(d)) : a.deleteFile(f(d))),
    code: 'ENOENT',
  },
  {
    name: 'deleteFile of a missing file with force',
    run: (d, s) => (s ? a.deleteFileSync(f(d), { force: true }) : a.deleteFile(f(d), { force: true })),
  },
  {
    name: 'deleteFile of a link removes the link only',
    setup: (d) => (seed(d), symlinkSync('f.txt', f(d, 'link'))),
    run: (d, s) => (s ? a.deleteFileSync(f(d, 'link')) : a.deleteFile(f(d, 'link'))),
  },
  {
    name: 'copyFile',
    setup: (d) => (seed(d), chmodSync(f(d), 0o604)),
    run: (d, s) => (s ? a.copyFileSync(f(d), f(d, 'c.txt')) : a.copyFile(f(d), f(d, 'c.txt'))),
  },
  {
    name: 'copyFile onto itself',
    setup: seed,
    run: (d, s) => (s ? a.copyFileSync(f(d), f(d)) : a.copyFile(f(d), f(d))),
    code: 'EINVAL',
  },
  {
    name: 'copyFile of a missing source',
    run: (d, s) => (s ? a.copyFileSync(f(d), f(d, 'c.txt')) : a.copyFile(f(d), f(d, 'c.txt'))),
    code: 'ENOENT',
  },
  {
    name: 'moveFile',
    setup: seed,
    run: (d, s) => (s ? a.moveFileSync(f(d), f(d, 'm.txt')) : a.moveFile(f(d), f(d, 'm.txt'))),
  },
  {
    name: 'moveFile with parents',
    setup: seed,
    run: (d, s) =>
      s
        ? a.moveFileSync(f(d), f(d, 'p/q/m.txt'), { parents: true })
        : a.moveFile(f(d), f(d, 'p/q/m.txt'), { parents: true }),
  },
  {
    name: 'moveFile of a folder',
    setup: (d) => mkdirSync(f(d, 'sub')),
    run: (d, s) => (s ? a.moveFileSync(f(d, 'sub'), f(d, 'm')) : a.moveFile(f(d, 'sub'), f(d, 'm'))),
    code: 'EISDIR',
  },
  {
    name: 'a path with a null byte',
    run: (d, s) => (s ? a.writeFileSync(f(d, 'a\0b'), 'x') : a.writeFile(f(d, 'a\0b'), 'x')),
    code: 'EINVAL',
  },
];

/** What a folder holds: every entry's kind, mode, and content or link target, by relative path. */
function snapshot(dir: string, root = dir): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    const key = relative(root, p);
    if (st.isDirectory()) Object.assign(out, { [key]: 'dir' }, snapshot(p, root));
    else if (st.isSymbolicLink()) out[key] = 'link';
    else out[key] = `${(st.mode & 0o777).toString(8)} ${readFileSync(p, 'latin1')}`;
  }
  return out;
}

/** A result with the folder's own path taken out, so that two folders' results compare. */
function portable(value: unknown, dir: string): unknown {
  if (typeof value === 'string') return value.split(dir).join('<dir>');
  if (Buffer.isBuffer(value)) return `bytes:${value.toString('latin1')}`;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, portable(v, dir)]));
  return value;
}

async function outcomeOf(c: Case, dir: string, sync: boolean): Promise<Outcome> {
  try {
    const r = c.run(dir, sync);
    if (sync) assert.ok(!(r instanceof Promise), `${c.name}: the synchronous call returned a promise`);
    return { ok: portable(await r, dir) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { code: e.code ?? 'none', names: e.message.includes(dir) };
  }
}

for (const c of CASES) {
  test(`sync and async alike: ${c.name}`, async () => {
    const [da, ds] = [await tmpDir(), await tmpDir()];
    c.setup?.(da);
    c.setup?.(ds);
    const viaAsync = await outcomeOf(c, da, false);
    const viaSync = await outcomeOf(c, ds, true);
    assert.deepEqual(viaSync, viaAsync, 'same result or error');
    if (c.code) assert.deepEqual(viaSync, { code: c.code, names: true }, 'the error expected, naming the path');
    else assert.ok('ok' in viaSync, `succeeds: ${JSON.stringify(viaSync)}`);
    assert.deepEqual(snapshot(ds), snapshot(da), 'the same files, modes and contents');
  });
}

test('a synchronous write refuses a stream source (EINVAL naming the path), and writes nothing', async () => {
  const dir = await tmpDir();
  async function* chunks(): AsyncGenerator<string> {
    yield 'x';
  }
  assert.throws(
    () => a.writeFileSync(f(dir), chunks() as unknown as string),
    (e: NodeJS.ErrnoException) => e.code === 'EINVAL' && e.message.includes(f(dir)) && /stream/.test(e.message),
  );
  assert.deepEqual(readdirSync(dir), []);
});

test('a synchronous write while an asynchronous one to the same file is in flight: EPENDING, nothing changed', async () => {
  const dir = await tmpDir();
  fsWriteFileSync(f(dir), 'old');
  symlinkSync('f.txt', f(dir, 'alias'));
  const inFlight = a.writeFile(f(dir), 'async');
  // Through another spelling of the same file too: the order is kept per real file.
  for (const p of [f(dir), f(dir, 'alias')])
    assert.throws(
      () => a.writeFileSync(p, 'sync'),
      (e: NodeJS.ErrnoException) => e.code === 'EPENDING' && e.message.includes(p),
    );
  // Another file is not held up.
  a.writeFileSync(f(dir, 'other.txt'), 'free');
  await inFlight;
  assert.equal(readFileSync(f(dir), 'utf8'), 'async');
  // Once it settled, the synchronous call goes through, last as called.
  a.writeFileSync(f(dir), 'sync');
  assert.equal(readFileSync(f(dir), 'utf8'), 'sync');
  assert.deepEqual(readdirSync(dir).sort(), ['alias', 'f.txt', 'other.txt']);
  assert.equal(statSync(f(dir)).isFile(), true);
});

test('EPENDING is kept per file among several asynchronous writes in flight, as each of them ends', async () => {
  const dir = await tmpDir();
  const names = ['one.txt', 'two.txt', 'three.txt'];
  for (const n of names) fsWriteFileSync(f(dir, n), 'old');
  // Each asynchronous write waits in its backup hook until released: in flight, in call order.
  const release = new Map<string, () => void>();
  const gate = {
    preserve: (paths: readonly string[]) =>
      new Promise<undefined>((resolve) => release.set(paths[0]!, () => resolve(undefined))),
  };
  const writes = names.map((n) => a.writeFile(f(dir, n), `async ${n}`, { backup: gate }));
  while (release.size < names.length) await new Promise((r) => setImmediate(r));
  const refused = (n: string): void =>
    assert.throws(
      () => a.writeFileSync(f(dir, n), 'sync'),
      (e: NodeJS.ErrnoException) => e.code === 'EPENDING',
    );
  for (const n of names) refused(n);
  // The middle one ends first: its file is free, the others still are not.
  release.get(f(dir, 'two.txt'))!();
  await writes[1];
  a.writeFileSync(f(dir, 'two.txt'), 'sync');
  refused('one.txt');
  refused('three.txt');
  release.get(f(dir, 'one.txt'))!();
  await writes[0];
  a.writeFileSync(f(dir, 'one.txt'), 'sync');
  refused('three.txt');
  release.get(f(dir, 'three.txt'))!();
  await writes[2];
  a.writeFileSync(f(dir, 'three.txt'), 'sync');
  for (const n of names) assert.equal(readFileSync(f(dir, n), 'utf8'), 'sync');
});

test('a synchronous write made by a hook of another one to the same file: EPENDING; to another file, it goes through', async () => {
  const dir = await tmpDir();
  fsWriteFileSync(f(dir), 'old');
  const inner: string[] = [];
  // The hook runs the caller's code inside the outer write, before its commit: a write
  // it makes to the same file would land first and then be overwritten, out of call order.
  const hook = {
    preserve: () => Promise.resolve(undefined),
    preserveSync: () => {
      for (const name of ['f.txt', 'other.txt']) {
        try {
          a.writeFileSync(f(dir, name), 'inner');
          inner.push(`${name} written`);
        } catch (e) {
          inner.push(`${name} ${(e as NodeJS.ErrnoException).code}`);
        }
      }
      return undefined;
    },
  };
  a.writeFileSync(f(dir), 'outer', { backup: hook });
  assert.deepEqual(inner, ['f.txt EPENDING', 'other.txt written']);
  assert.equal(readFileSync(f(dir), 'utf8'), 'outer');
  assert.deepEqual(readdirSync(dir).sort(), ['f.txt', 'other.txt']);
  // Nothing is left pending: the next synchronous write goes through at once.
  a.writeFileSync(f(dir), 'after');
  assert.equal(readFileSync(f(dir), 'utf8'), 'after');
});

test('synchronous calls with a BackupStore and an AuditLog: the backup keeps the old content, the trail the change', async () => {
  const dir = await tmpDir();
  const store = new a.BackupStore(join(dir, '.backups'));
  const log = new a.AuditLog(join(dir, 'audit.log'));
  fsWriteFileSync(f(dir), 'old');
  a.writeFileSync(f(dir), 'new', { backup: store, audit: log });
  a.deleteFileSync(f(dir), { backup: store, audit: log });
  const backups = await store.list();
  assert.deepEqual(
    backups.map((b) => b.operation),
    ['deleteFile', 'writeFile'],
  );
  // The oldest backup holds the content before the write: restoring it brings 'old' back.
  await store.restore(backups[1]!.id);
  assert.equal(readFileSync(f(dir), 'utf8'), 'old');
  const entries = await log.entries();
  assert.deepEqual(
    entries.map((e) => [e.operation, e.outcome]),
    [
      ['writeFile', 'ok'],
      ['deleteFile', 'ok'],
    ],
  );
  assert.equal(
    entries[0]!.files[0]!.after,
    a.sha256FileSync(join(dir, '.backups', backups[0]!.id, backups[0]!.files[0]!.stored)),
  );
  assert.equal((await log.verify()).ok, true);
});

test('a synchronous call refuses a hook without its synchronous method, before changing anything', async () => {
  const dir = await tmpDir();
  fsWriteFileSync(f(dir), 'old');
  const asyncOnly = { preserve: () => Promise.resolve(undefined) };
  assert.throws(
    () => a.writeFileSync(f(dir), 'new', { backup: asyncOnly }),
    (e: NodeJS.ErrnoException) => e.code === 'EINVAL' && /preserveSync/.test(e.message) && e.message.includes(f(dir)),
  );
  assert.throws(
    () => a.deleteFileSync(f(dir), { audit: { record: () => Promise.resolve() } }),
    (e: NodeJS.ErrnoException) => e.code === 'EINVAL' && /recordSync/.test(e.message),
  );
  assert.equal(readFileSync(f(dir), 'utf8'), 'old');
  assert.deepEqual(readdirSync(dir), ['f.txt']);
});
