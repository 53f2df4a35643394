/** JSON and YAML files: encode (schema first), write atomically; read, parse, validate. */
import { decodeJson, decodeYaml, encodeJson, encodeYaml, type EncodeOptions, type Format } from '../base/codec.js';
import { validate, type JsonSchema } from '../base/schema.js';
import { readFile } from '../file/read-file.js';
import type { BaseOptions, HashedOptions, HashedWriteResult, WriteOptions, WriteResult } from '../file/options.js';
import { writeFile } from '../file/write-file.js';

export interface WriteValueOptions extends WriteOptions, EncodeOptions {}

export interface ReadValueOptions extends BaseOptions {
  /** JSON Schema checked after parsing (ValidationError naming the file on mismatch). */
  schema?: JsonSchema | undefined;
}

const encoders = { json: encodeJson, yaml: encodeYaml } as const;
const decoders = { json: decodeJson, yaml: decodeYaml } as const;

/** Validates and encodes before anything touches the disk, then writes atomically. */
export async function writeValue(format: Format, path: string, value: unknown, opts?: WriteValueOptions): Promise<WriteResult> {
  const text = encoders[format](value, path, opts);
  return writeFile(path, text, opts);
}

export async function readValue(format: Format, path: string, opts?: ReadValueOptions): Promise<unknown> {
  const text = await readFile(path, { ...opts, encoding: 'utf8' });
  const value = decoders[format](text, path);
  if (opts?.schema !== undefined) validate(value, opts.schema, path);
  return value;
}

/** The result carries the content's `sha256` only with `sha256: true`, as for writeFile. */
export function writeJson(path: string, value: unknown, opts: HashedOptions<WriteValueOptions>): Promise<HashedWriteResult>;
export function writeJson(path: string, value: unknown, opts?: WriteValueOptions): Promise<WriteResult>;
export function writeJson(path: string, value: unknown, opts?: WriteValueOptions): Promise<WriteResult> {
  return writeValue('json', path, value, opts);
}

export function writeYaml(path: string, value: unknown, opts: HashedOptions<WriteValueOptions>): Promise<HashedWriteResult>;
export function writeYaml(path: string, value: unknown, opts?: WriteValueOptions): Promise<WriteResult>;
export function writeYaml(path: string, value: unknown, opts?: WriteValueOptions): Promise<WriteResult> {
  return writeValue('yaml', path, value, opts);
}

export function readJson<T = unknown>(path: string, opts?: ReadValueOptions): Promise<T> {
  return readValue('json', path, opts) as Promise<T>;
}

export function readYaml<T = unknown>(path: string, opts?: ReadValueOptions): Promise<T> {
  return readValue('yaml', path, opts) as Promise<T>;
}
