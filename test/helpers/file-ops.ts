/**
 * Every single-file operation that produces a file at a path, behind one shape, so that
 * one set of tests (modes, owners, links, verify, aborts, errors, retries, ordering) runs
 * against each of them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, writeFile as fsWriteFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { rm } from 'node:fs/promises';
import { atomicWrite, copyFile, createFile, moveFile, writeFile, type WriteOptions } from '../../src/index.js';

export interface WriteOpCase {
  name: string;
  /** Replaces an existing target (createFile refuses with EEXIST). */
  replaces: boolean;
  /** Moves keep the source's mode and owner rather than the replaced target's. */
  isMove: boolean;
  /** The disk call that puts the new file in place. */
  commitCall: 'rename' | 'link';
  /** Writes `content` to `path` with this operation, preparing any source it needs. */
  run(path: string, content: Buffer | string, opts?: WriteOptions): Promise<void>;
  /** Prepares the source (if any) first; the returned function starts the operation at once. */
  prepare(path: string, content: Buffer | string, opts?: WriteOptions): Promise<() => Promise<void>>;
  /** Mode given to the source file of a copy or move (ignored by the others). */
  sourceMode?: number;
}

let sourceDir: string | undefined;
after(async () => {
  if (sourceDir) await rm(sourceDir, { recursive: true, force: true });
});

/** A fresh source file (for copyFile and moveFile), in its own folder on the same device. */
export async function sourceFile(content: Buffer | string, mode = 0o644): Promise<string> {
  sourceDir ??= await mkdtemp(join(tmpdir(), 'atomicfs-src-'));
  const path = join(sourceDir, `src-${randomBytes(6).toString('hex')}`);
  await fsWriteFile(path, content, { mode });
  return path;
}

export const WRITE_OPS: WriteOpCase[] = [
  {
    name: 'writeFile',
    replaces: true,
    isMove: false,
    commitCall: 'rename',
    run: async (path, content, opts) => void (await writeFile(path, content, opts)),
    prepare: async (path, content, opts) => async () => void (await writeFile(path, content, opts)),
  },
  {
    name: 'createFile',
    replaces: false,
    isMove: false,
    commitCall: 'link',
    run: async (path, content, opts) => void (await createFile(path, content, opts)),
    prepare: async (path, content, opts) => async () => void (await createFile(path, content, opts)),
  },
  {
    name: 'atomicWrite',
    replaces: true,
    isMove: false,
    commitCall: 'rename',
    run: (path, content, opts) => writeInTwo(path, content, opts),
    prepare: async (path, content, opts) => () => writeInTwo(path, content, opts),
  },
  {
    name: 'copyFile',
    replaces: true,
    isMove: false,
    commitCall: 'rename',
    run: async (path, content, opts) => copyFile(await sourceFile(content), path, opts),
    prepare: async (path, content, opts) => {
      const src = await sourceFile(content);
      return () => copyFile(src, path, opts);
    },
  },
  {
    name: 'moveFile',
    replaces: true,
    isMove: true,
    commitCall: 'rename',
    run: async (path, content, opts) => moveFile(await sourceFile(content), path, opts),
    prepare: async (path, content, opts) => {
      const src = await sourceFile(content);
      return () => moveFile(src, path, opts);
    },
  },
];

/** atomicWrite in two writes, to check that the handle appends. */
function writeInTwo(path: string, content: Buffer | string, opts?: WriteOptions): Promise<void> {
  const buf = Buffer.from(content);
  return atomicWrite(
    path,
    async (h) => {
      await h.write(buf.subarray(0, buf.length >> 1));
      await h.write(buf.subarray(buf.length >> 1));
    },
    opts,
  );
}

/** Names in `dir` that look like temporary files of any kind. */
export async function tempsIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.includes('.atomicfs-'));
}
