/**
 * The public operations under test, looked up on the package entry by name: engineers
 * land them one by one, and a scenario whose operation is not exported yet is skipped
 * (with a message saying so) rather than failing the build of every crash test.
 */
import * as atomicfs from '../../src/index.js';
import type { Disk } from '../../src/index.js';

interface DiskOpts {
  disk?: Disk;
  retry?: { attempts?: number; maxDelayMs?: number };
  [key: string]: unknown;
}

export interface Ops {
  writeFile(path: string, data: string | Uint8Array | AsyncIterable<Uint8Array>, opts?: DiskOpts): Promise<unknown>;
  createFile(path: string, data: string | Uint8Array, opts?: DiskOpts): Promise<unknown>;
  atomicWrite(
    path: string,
    fn: (h: { write(c: string | Uint8Array): Promise<void> }) => Promise<unknown>,
    opts?: DiskOpts,
  ): Promise<unknown>;
  readFile(path: string, opts?: DiskOpts): Promise<Buffer | string>;
  deleteFile(path: string, opts?: DiskOpts): Promise<void>;
  copyFile(src: string, dest: string, opts?: DiskOpts): Promise<void>;
  moveFile(src: string, dest: string, opts?: DiskOpts): Promise<void>;
  writeJson(path: string, value: unknown, opts?: DiskOpts): Promise<unknown>;
  updateJson(path: string, fn: (old: unknown) => unknown, opts?: DiskOpts): Promise<unknown>;
  rotateFile(path: string, opts: DiskOpts & { maxFiles: number }): Promise<unknown>;
  lock(path: string, opts?: DiskOpts & { timeout?: number }): Promise<() => Promise<void>>;
  cleanupTemps(dir: string, opts?: DiskOpts & { olderThanMs?: number }): Promise<unknown>;
  transaction(opts: DiskOpts & { root: string }): Promise<Tx>;
  recover(root: string, opts?: DiskOpts): Promise<unknown>;
  recoverSync(root: string, opts?: DiskOpts): unknown;
  guard(paths: string[], fn: () => Promise<unknown>, opts: DiskOpts & { root: string }): Promise<unknown>;
}

/** Staging calls return the transaction, so they chain. */
export interface Tx {
  writeFile(path: string, data: string | Uint8Array, opts?: DiskOpts): Tx;
  createFile(path: string, data: string | Uint8Array, opts?: DiskOpts): Tx;
  deleteFile(path: string, opts?: DiskOpts): Tx;
  copyFile(src: string, dest: string, opts?: DiskOpts): Tx;
  moveFile(src: string, dest: string, opts?: DiskOpts): Tx;
  commit(): Promise<unknown>;
  commitSync(): unknown;
  rollback(): Promise<unknown>;
}

const entry = atomicfs as unknown as Partial<Record<keyof Ops, unknown>>;

/** The operation if the package exports it, else undefined. */
export function op<K extends keyof Ops>(name: K): Ops[K] | undefined {
  const fn = entry[name];
  return typeof fn === 'function' ? (fn as Ops[K]) : undefined;
}

/** The operation; throws (failing the test) if it is not exported. */
export function need<K extends keyof Ops>(name: K): Ops[K] {
  const fn = op(name);
  if (!fn) throw new Error(`atomicfs does not export ${name}`);
  return fn;
}

/** For `test(name, { skip })`: a reason when an operation is missing. */
export function missing(...names: (keyof Ops)[]): string | false {
  const absent = names.filter((n) => !op(n));
  return absent.length ? `not exported yet: ${absent.join(', ')}` : false;
}
