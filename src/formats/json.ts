/** JSON and YAML files: encode (schema first), write atomically; read, parse, validate. */
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
  type WriteOptions,
  type WriteResult,
  type Written,
} from '../file/options.js';
import { writeData } from '../file/write-file.js';
import { runAsync } from '../disk/dual.js';

export interface WriteValueOptions extends WriteOptions, EncodeOptions {}

export interface ReadValueOptions extends BaseOptions {
  /** JSON Schema checked after parsing (ValidationError naming the file on mismatch). */
  schema?: JsonSchema | undefined;
}

const encoders = { json: encodeJson, yaml: encodeYaml } as const;
const decoders = { json: decodeJson, yaml: decodeYaml } as const;

/** Validates and encodes before anything touches the disk, then writes atomically. */
export async function writeValue(
  format: Format,
  given: PathLike,
  value: unknown,
  opts?: WriteValueOptions,
): Promise<WriteResult> {
  const op = format === 'json' ? 'writeJson' : 'writeYaml';
  const path = pathArg(op, given);
  checkOptions(op, op, path, opts);
  return resultOf(await writeChecked(format, path, value, opts), opts);
}

/** writeJson or writeYaml for callers that checked path and options already. */
export async function writeChecked(
  format: Format,
  path: string,
  value: unknown,
  opts?: WriteValueOptions,
): Promise<Written> {
  const text = encoders[format](value, path, opts);
  return runAsync(writeData('writeFile', path, text, opts));
}

export async function readValue(format: Format, given: PathLike, opts?: ReadValueOptions): Promise<unknown> {
  const op = format === 'json' ? 'readJson' : 'readYaml';
  const path = pathArg(op, given);
  checkOptions(op, op, path, opts);
  const text = (await runAsync(
    readData(path, {
      disk: opts?.disk,
      signal: opts?.signal,
      retry: opts?.retry,
      encoding: 'utf8',
    }),
  )) as string;
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
  return writeValue('json', path, value, opts);
}

export function writeYaml(
  path: PathLike,
  value: unknown,
  opts: HashedOptions<WriteValueOptions>,
): Promise<HashedWriteResult>;
export function writeYaml(path: PathLike, value: unknown, opts?: WriteValueOptions): Promise<WriteResult>;
export function writeYaml(path: PathLike, value: unknown, opts?: WriteValueOptions): Promise<WriteResult> {
  return writeValue('yaml', path, value, opts);
}

export function readJson<T = unknown>(path: PathLike, opts?: ReadValueOptions): Promise<T> {
  return readValue('json', path, opts) as Promise<T>;
}

export function readYaml<T = unknown>(path: PathLike, opts?: ReadValueOptions): Promise<T> {
  return readValue('yaml', path, opts) as Promise<T>;
}
