/**
 * JSON and YAML files: encode (schema first), write atomically; read, parse, validate.
 * Each is one protocol (disk/dual.ts), run asynchronously or synchronously (`…Sync`).
 */
import { decodeJson, decodeYaml, encodeJson, encodeYaml, type EncodeOptions, type Format } from '../base/codec.js';
import { validate, type JsonSchema } from '../base/schema.js';
import { readData } from '../file/read-file.js';
import { checkOptions } from '../base/options-check.js';
import { pathArg, type PathLike } from '../file/check-path.js';
import {
  resultOf,
  type BaseOptions,
  type HashedOptions,
  type HashedWriteResult,
  type SyncOptions,
  type WriteOptions,
  type WriteResult,
  type Written,
} from '../file/options.js';
import { writeData } from '../file/write-file.js';
import { runAsync, runSync, type Dual } from '../disk/dual.js';

export interface WriteValueOptions extends WriteOptions, EncodeOptions {}

export interface ReadValueOptions extends BaseOptions {
  /** JSON Schema checked after parsing (ValidationError naming the file on mismatch). */
  schema?: JsonSchema | undefined;
}

const encoders = { json: encodeJson, yaml: encodeYaml } as const;
const decoders = { json: decodeJson, yaml: decodeYaml } as const;

/** Validates and encodes before anything touches the disk, then writes atomically. */
export function* writeValue(
  format: Format,
  given: PathLike,
  value: unknown,
  opts: WriteValueOptions | undefined,
  sync: boolean,
): Dual<WriteResult> {
  const call = format === 'json' ? 'writeJson' : 'writeYaml';
  const op = sync ? `${call}Sync` : call;
  const path = pathArg(op, given);
  checkOptions(call, op, path, opts, sync);
  return resultOf(yield* writeChecked(format, path, value, opts), opts);
}

/** writeJson or writeYaml for callers that checked path and options already. */
export function* writeChecked(
  format: Format,
  path: string,
  value: unknown,
  opts: WriteValueOptions | undefined,
): Dual<Written> {
  const text = encoders[format](value, path, opts);
  return yield* writeData('writeFile', path, text, opts);
}

/** readJson or readYaml: the whole file, parsed, then checked against the schema if one is given. */
export function* readValue(
  format: Format,
  given: PathLike,
  opts: ReadValueOptions | undefined,
  sync: boolean,
): Dual<unknown> {
  const call = format === 'json' ? 'readJson' : 'readYaml';
  const op = sync ? `${call}Sync` : call;
  const path = pathArg(op, given);
  checkOptions(call, op, path, opts, sync);
  const text = (yield* readData(path, {
    disk: opts?.disk,
    signal: opts?.signal,
    retry: opts?.retry,
    encoding: 'utf8',
  })) as string;
  const value = decoders[format](text, path);
  if (opts?.schema !== undefined) validate(value, opts.schema, path);
  return value;
}

/** The result carries the content's `sha256` only with `sha256: true`, as for writeFile. */
export function writeJson(
  path: PathLike,
  value: unknown,
  opts: HashedOptions<WriteValueOptions>,
): Promise<HashedWriteResult>;
export function writeJson(path: PathLike, value: unknown, opts?: WriteValueOptions): Promise<WriteResult>;
export function writeJson(path: PathLike, value: unknown, opts?: WriteValueOptions): Promise<WriteResult> {
  return runAsync(writeValue('json', path, value, opts, false));
}

/** writeJson, synchronously (the same protocol): durable when it returns. */
export function writeJsonSync(
  path: PathLike,
  value: unknown,
  opts: SyncOptions<HashedOptions<WriteValueOptions>>,
): HashedWriteResult;
export function writeJsonSync(path: PathLike, value: unknown, opts?: SyncOptions<WriteValueOptions>): WriteResult;
export function writeJsonSync(path: PathLike, value: unknown, opts?: SyncOptions<WriteValueOptions>): WriteResult {
  return runSync(writeValue('json', path, value, opts, true));
}

export function writeYaml(
  path: PathLike,
  value: unknown,
  opts: HashedOptions<WriteValueOptions>,
): Promise<HashedWriteResult>;
export function writeYaml(path: PathLike, value: unknown, opts?: WriteValueOptions): Promise<WriteResult>;
export function writeYaml(path: PathLike, value: unknown, opts?: WriteValueOptions): Promise<WriteResult> {
  return runAsync(writeValue('yaml', path, value, opts, false));
}

/** writeYaml, synchronously (the same protocol): durable when it returns. */
export function writeYamlSync(
  path: PathLike,
  value: unknown,
  opts: SyncOptions<HashedOptions<WriteValueOptions>>,
): HashedWriteResult;
export function writeYamlSync(path: PathLike, value: unknown, opts?: SyncOptions<WriteValueOptions>): WriteResult;
export function writeYamlSync(path: PathLike, value: unknown, opts?: SyncOptions<WriteValueOptions>): WriteResult {
  return runSync(writeValue('yaml', path, value, opts, true));
}

export function readJson<T = unknown>(path: PathLike, opts?: ReadValueOptions): Promise<T> {
  return runAsync(readValue('json', path, opts, false)) as Promise<T>;
}

/** readJson, synchronously (the same protocol). */
export function readJsonSync<T = unknown>(path: PathLike, opts?: SyncOptions<ReadValueOptions>): T {
  return runSync(readValue('json', path, opts, true)) as T;
}

export function readYaml<T = unknown>(path: PathLike, opts?: ReadValueOptions): Promise<T> {
  return runAsync(readValue('yaml', path, opts, false)) as Promise<T>;
}

/** readYaml, synchronously (the same protocol). */
export function readYamlSync<T = unknown>(path: PathLike, opts?: SyncOptions<ReadValueOptions>): T {
  return runSync(readValue('yaml', path, opts, true)) as T;
}
