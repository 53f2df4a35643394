/**
 * What a write accepts and reports: strings, bytes, async iterables and Readable streams;
 * progress; aborts before and during a streamed write; a source that fails half-way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile as fsWriteFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  atomicWrite,
  copyFile,
  createFile,
  moveFile,
  writeFile,
  writeJson,
  writeYaml,
  type HashedWriteResult,
  type Progress,
  type Source,
  type WriteOptions,
  type WriteResult,
} from '../src/index.js';
import { tmpDir } from './helpers/tmp.js';
import { sourceFile, tempsIn } from './helpers/file-ops.js';
import { recordingHooks, sysError, faultDisk } from './helpers/file-disks.js';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

async function* generated(parts: (string | Uint8Array)[]): AsyncGenerator<string | Uint8Array> {
  for (const p of parts) yield p;
}

const SOURCES: { name: string; make: () => Source; expected: string; total: number | undefined }[] = [
  { name: 'a string', make: () => 'héllo wörld', expected: 'héllo wörld', total: Buffer.byteLength('héllo wörld') },
  { name: 'bytes', make: () => new Uint8Array([104, 105]), expected: 'hi', total: 2 },
  { name: 'an empty string', make: () => '', expected: '', total: 0 },
  {
    name: 'an async iterable of strings and bytes',
    make: () => generated(['ab', Buffer.from('cd'), new Uint8Array([101])]),
    expected: 'abcde',
    total: undefined,
  },
  {
    name: 'a Readable stream',
    make: () => Readable.from([Buffer.from('one '), Buffer.from('two')]),
    expected: 'one two',
    total: undefined,
  },
];

for (const create of [false, true]) {
  const write = create ? createFile : writeFile;
  const name = create ? 'createFile' : 'writeFile';
  for (const s of SOURCES) {
    test(`${name} writes ${s.name}, reports progress and resolves to { path, bytes }`, async () => {
      const dir = await tmpDir();
      const p = join(dir, 'f');
      const seen: Progress[] = [];
      const result = await write(p, s.make(), { onProgress: (pr) => seen.push(pr) });
      assert.equal(await readFile(p, 'utf8'), s.expected);
      assert.deepEqual(result, { path: p, bytes: Buffer.byteLength(s.expected) });
      for (const pr of seen) assert.equal(pr.total, s.total);
      const bytes = seen.map((pr) => pr.bytes);
      assert.deepEqual(
        bytes,
        [...bytes].sort((a, b) => a - b),
        'progress only grows',
      );
      if (s.expected !== '') assert.equal(bytes.at(-1), Buffer.byteLength(s.expected));
      assert.deepEqual(await readdir(dir), ['f']);
    });

    test(`${name} with sha256: true writes ${s.name} and resolves to { path, bytes, sha256 }`, async () => {
      const dir = await tmpDir();
      const p = join(dir, 'f');
      const result = await write(p, s.make(), { sha256: true });
      assert.equal(await readFile(p, 'utf8'), s.expected);
      assert.deepEqual(result, { path: p, bytes: Buffer.byteLength(s.expected), sha256: sha(s.expected) });
      assert.deepEqual(await readdir(dir), ['f']);
    });

    test(`${name} with sha256: false (the default, said out loud) writes ${s.name} and resolves to { path, bytes }`, async () => {
      const dir = await tmpDir();
      const p = join(dir, 'f');
      const result = await write(p, s.make(), { sha256: false });
      assert.equal(await readFile(p, 'utf8'), s.expected);
      assert.deepEqual(result, { path: p, bytes: Buffer.byteLength(s.expected) });
      assert.deepEqual(await readdir(dir), ['f']);
    });
  }
}

test('without sha256: true the audit record still holds the hash, and the result does not', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  const hooks = recordingHooks();
  const result = await writeFile(p, 'audited', { audit: hooks.audit });
  assert.deepEqual(result, { path: p, bytes: 7 });
  assert.equal(hooks.entries.length, 1);
  assert.equal(hooks.entries[0]?.files[0]?.after, sha('audited'));
});

test('the result types follow the sha256 option', async () => {
  const dir = await tmpDir();
  const plain: WriteResult = await writeFile(join(dir, 'a'), 'a');
  const json: HashedWriteResult = await writeJson(join(dir, 'b.json'), { b: 1 }, { sha256: true });
  const yaml: HashedWriteResult = await writeYaml(join(dir, 'c.yaml'), { c: 1 }, { sha256: true });
  const opts: WriteOptions = { sha256: true };
  // @ts-expect-error: options typed WriteOptions may leave the hash out, so no string is promised
  const unsure: HashedWriteResult = await createFile(join(dir, 'd'), 'd', opts);
  // @ts-expect-error: without sha256: true the result has no sha256
  const absent: unknown = (await writeFile(join(dir, 'e'), 'e', { sha256: false })).sha256;
  assert.deepEqual(
    [plain, json.sha256, yaml.sha256, unsure.sha256, absent],
    [{ path: join(dir, 'a'), bytes: 1 }, sha('{\n  "b": 1\n}\n'), sha('c: 1\n'), sha('d'), undefined],
  );
});

test('writeFile refuses a source that is none of the accepted kinds, before touching the disk', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  await fsWriteFile(p, 'old');
  await assert.rejects(
    writeFile(p, 42 as unknown as Source),
    (err: NodeJS.ErrnoException) => err.code === 'EINVAL' && err.message.includes(p),
  );
  await assert.rejects(
    writeFile(p, generated([{} as unknown as string])),
    (err: NodeJS.ErrnoException) => err.code === 'EINVAL' && err.message.includes(p),
  );
  assert.equal(await readFile(p, 'utf8'), 'old');
  assert.deepEqual(await readdir(dir), ['f']);
});

test('atomicWrite resolves to what fn returned; strings and bytes both append', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  const out = await atomicWrite(p, async (h) => {
    await h.write('a');
    await h.write(Buffer.from('b'));
    return 7;
  });
  assert.equal(out, 7);
  assert.equal(await readFile(p, 'utf8'), 'ab');
});

test('atomicWrite: fn throwing leaves the target as it was, its error unchanged, no temp', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  await fsWriteFile(p, 'old');
  const boom = new Error('boom');
  await assert.rejects(
    atomicWrite(p, async (h) => {
      await h.write('partial');
      throw boom;
    }),
    (err) => err === boom,
  );
  assert.equal(await readFile(p, 'utf8'), 'old');
  assert.deepEqual(await readdir(dir), ['f']);
});

/** A stream that yields `first`, then waits until `release` is called before yielding more. */
function pausedStream(first: string[], rest: string[]): { stream: Readable; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  async function* gen(): AsyncGenerator<Buffer> {
    for (const c of first) yield Buffer.from(c);
    await gate;
    for (const c of rest) yield Buffer.from(c);
  }
  return { stream: Readable.from(gen()), release };
}

const STREAM_WRITERS: { name: string; start: (p: string, src: Readable, opts: WriteOptions) => Promise<unknown> }[] = [
  { name: 'writeFile', start: (p, src, opts) => writeFile(p, src, opts) },
  { name: 'createFile', start: (p, src, opts) => createFile(p, src, opts) },
  {
    name: 'atomicWrite',
    start: (p, src, opts) =>
      atomicWrite(
        p,
        async (h) => {
          for await (const c of src) await h.write(c as Buffer);
        },
        opts,
      ),
  },
];

for (const w of STREAM_WRITERS) {
  test(`${w.name}: an abort during a streamed write leaves the target as it was and no temp`, async () => {
    const dir = await tmpDir();
    const p = join(dir, 'f');
    if (w.name !== 'createFile') await fsWriteFile(p, 'old');
    const ac = new AbortController();
    const { stream, release } = pausedStream(['part one ', 'part two '], ['part three']);
    let written = 0;
    const done = w.start(p, stream, {
      signal: ac.signal,
      onProgress: (pr) => {
        written = pr.bytes;
        // Abort once data is in the temporary file, then let the stream go on.
        if (pr.bytes >= 18 && !ac.signal.aborted) {
          ac.abort();
          release();
        }
      },
    });
    await assert.rejects(done, { code: 'ABORT_ERR', name: 'AbortError' });
    assert.ok(written >= 18, 'data was being written when the abort came');
    if (w.name !== 'createFile') assert.equal(await readFile(p, 'utf8'), 'old');
    assert.deepEqual(await readdir(dir), w.name === 'createFile' ? [] : ['f']);
  });

  test(`${w.name}: an abort while the stream stalls rejects at once; target unchanged, no temp`, async () => {
    const dir = await tmpDir();
    const p = join(dir, 'f');
    if (w.name !== 'createFile') await fsWriteFile(p, 'old');
    const ac = new AbortController();
    // The stream yields once and then never again (its gate is never released).
    const { stream } = pausedStream(['only chunk'], []);
    const done = w.start(p, stream, { signal: ac.signal, onProgress: () => setImmediate(() => ac.abort()) });
    await assert.rejects(done, { code: 'ABORT_ERR' });
    if (w.name !== 'createFile') assert.equal(await readFile(p, 'utf8'), 'old');
    assert.deepEqual(await readdir(dir), w.name === 'createFile' ? [] : ['f']);
    stream.destroy();
  });

  test(`${w.name}: a stream that fails half-way leaves the target as it was and no temp`, async () => {
    const dir = await tmpDir();
    const p = join(dir, 'f');
    if (w.name !== 'createFile') await fsWriteFile(p, 'old');
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('first half ');
      throw sysError('ECONNRESET', 'read', 'socket');
    }
    await assert.rejects(w.start(p, Readable.from(failing()), {}), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ECONNRESET');
      // writeFile and createFile name the target; atomicWrite passes fn's error through.
      if (w.name !== 'atomicWrite') assert.ok(err.message.includes(p), err.message);
      return true;
    });
    if (w.name !== 'createFile') assert.equal(await readFile(p, 'utf8'), 'old');
    assert.deepEqual(await readdir(dir), w.name === 'createFile' ? [] : ['f']);
  });
}

test('writeFile: a plain Error from a stream keeps its message and is the cause', async () => {
  const dir = await tmpDir();
  const p = join(dir, 'f');
  const boom = new Error('upstream closed');
  async function* failing(): AsyncGenerator<Buffer> {
    yield Buffer.from('x');
    throw boom;
  }
  await assert.rejects(writeFile(p, failing()), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'ESOURCE');
    assert.ok(err.message.includes(p) && err.message.includes('upstream closed'), err.message);
    assert.equal(err.cause, boom);
    return true;
  });
  assert.deepEqual(await readdir(dir), []);
});

test('copyFile reports progress with the known total, in chunks', async () => {
  const dir = await tmpDir();
  const content = Buffer.alloc(3 * (1 << 20) + 5, 7);
  const src = await sourceFile(content);
  const seen: Progress[] = [];
  await copyFile(src, join(dir, 'copy'), { onProgress: (pr) => seen.push(pr) });
  assert.ok(seen.length >= 4, `several chunks: ${seen.length}`);
  for (const pr of seen) assert.equal(pr.total, content.length);
  assert.equal(seen.at(-1)?.bytes, content.length);
  assert.equal(sha(await readFile(join(dir, 'copy'))), sha(content));
});

test('copyFile and moveFile across devices: an abort during the copy leaves both ends as they were', async () => {
  const dir = await tmpDir();
  const content = Buffer.alloc(3 * (1 << 20), 1);
  const exdev = faultDisk();
  exdev.fail((c) => c.op === 'rename' && !c.path.includes('.atomicfs-tmp'), 'EXDEV', Infinity);
  for (const move of [false, true]) {
    const src = await sourceFile(content);
    const dest = join(dir, move ? 'moved' : 'copied');
    await fsWriteFile(dest, 'old');
    const ac = new AbortController();
    const opts: WriteOptions = { disk: exdev, signal: ac.signal, onProgress: () => ac.abort() };
    await assert.rejects(move ? moveFile(src, dest, opts) : copyFile(src, dest, opts), { code: 'ABORT_ERR' });
    assert.equal(await readFile(dest, 'utf8'), 'old');
    assert.equal(sha(await readFile(src)), sha(content));
    assert.deepEqual(await tempsIn(dir), []);
  }
});
