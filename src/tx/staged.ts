/**
 * What a transaction has been asked to do, checked when it is asked (before any disk
 * access): arguments, the path against the root, JSON/YAML encoding and schemas. A
 * failure here fails the whole transaction before anything is written.
 */
import { encodeJson, encodeYaml, type EncodeOptions } from '../base/codec.js';
import { invalidArg } from '../base/errors.js';
import { checkOptions } from '../base/options-check.js';
import type { Source } from '../base/source.js';
import { checkPath } from '../file/check-path.js';
import type { WriteOptions } from '../file/options.js';

/**
 * Options of a staged write: as for the single-file call; backup, audit and disk belong to
 * the transaction, a staged write has no result of its own to carry a `sha256`, and a
 * transaction always makes the missing parent folders of what it writes (`parents`).
 */
export type TxWriteOptions = Omit<WriteOptions, 'backup' | 'audit' | 'disk' | 'sha256' | 'parents'>;
export type TxJsonOptions = TxWriteOptions & EncodeOptions;
export interface TxDeleteOptions {
  /** No error if the file does not exist (default false: ENOENT fails the commit). */
  force?: boolean | undefined;
}

export type Staged =
  | { kind: 'write'; op: string; path: string; abs: string; source: Source; create: boolean; opts: TxWriteOptions }
  | { kind: 'copy'; op: 'copyFile'; path: string; abs: string; from: string; fromAbs: string; opts: TxWriteOptions }
  | { kind: 'move'; op: 'moveFile'; path: string; abs: string; from: string; fromAbs: string; opts: TxWriteOptions }
  | { kind: 'delete'; op: 'deleteFile'; path: string; abs: string; force: boolean };

export function checkWriteOptions(
  op: 'writeFile' | 'createFile' | 'writeJson' | 'writeYaml' | 'copyFile' | 'moveFile',
  path: string,
  opts: TxWriteOptions | undefined,
): TxWriteOptions {
  checkOptions(`tx.${op}`, op, path, opts);
  return opts ?? {};
}

export function checkSource(op: string, path: string, source: unknown): Source {
  if (typeof source === 'string' || source instanceof Uint8Array) return source;
  if (source !== null && typeof source === 'object' && Symbol.asyncIterator in source) return source as Source;
  throw invalidArg(op, path, 'source must be a string, Uint8Array, AsyncIterable or Readable stream');
}

/** Encodes now, so that a value that fails its schema fails the transaction at once. */
export function encodeFor(
  op: 'writeJson' | 'writeYaml',
  path: string,
  value: unknown,
  opts: TxJsonOptions | undefined,
): string {
  checkPath(op, path);
  return op === 'writeJson' ? encodeJson(value, path, opts) : encodeYaml(value, path, opts);
}
