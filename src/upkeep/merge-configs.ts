/**
 * mergeConfigs: JSON and YAML files (format by extension) merged in order, later files
 * winning (rule in deep-merge.ts), checked against a JSON Schema, then written atomically
 * to `out` (JSON or YAML by its extension). Every input is read and the result validated
 * before anything is written: on any error `out` is as it was.
 */
import { resolve } from 'node:path';
import { decodeJson, decodeYaml, encodeJson, encodeYaml, formatOf } from '../base/codec.js';
import { AtomicError, fsError, invalidArg } from '../base/errors.js';
import { assertSchemaCompiles, type JsonSchema } from '../base/schema.js';
import type { Disk } from '../disk/index.js';
import { readFile } from '../file/read-file.js';
import { diskOf, type HashedWriteResult, type WriteOptions } from '../file/options.js';
import { writeFile } from '../file/write-file.js';
import { checkOptions } from '../base/options-check.js';
import { pathArg, type PathLike } from '../file/check-path.js';
import { isPlainObject, mergeValues, type MergeStrategy, type PlainObject } from './deep-merge.js';

export type { MergeStrategy } from './deep-merge.js';

/** A merge always reports the written file's hash: `sha256` is not among them. */
export interface MergeOptions extends Omit<WriteOptions, 'sha256'> {
  /** 'deep' (default): objects merged recursively, arrays replaced. 'shallow': top-level keys replaced. */
  strategy?: MergeStrategy | undefined;
  /** JSON Schema the merged value must match before it is written. */
  schema?: JsonSchema | undefined;
}

export interface MergeResult extends HashedWriteResult {
  /** The merged value, as written. */
  value: PlainObject;
}

const OP = 'mergeConfigs';

function checkArgs(given: unknown, out: string, opts: MergeOptions | undefined): string[] {
  checkOptions(OP, OP, out, opts);
  if (!Array.isArray(given) || given.length === 0)
    throw invalidArg(OP, out, 'files must be a non-empty array of paths');
  const files = given.map((f: unknown) => pathArg(OP, f, 'every input'));
  for (const f of files) {
    if (!formatOf(f)) throw invalidArg(OP, f, 'unknown format: inputs must end in .json, .yaml or .yml');
  }
  if (!formatOf(out)) throw invalidArg(OP, out, 'unknown format: the output must end in .json, .yaml or .yml');
  if (opts?.schema !== undefined) assertSchemaCompiles(opts.schema, out);
  return files;
}

async function readText(disk: Disk, path: string): Promise<string> {
  try {
    return await readFile(resolve(path), { encoding: 'utf8', disk });
  } catch (err) {
    throw fsError(err, OP, path);
  }
}

async function readConfig(disk: Disk, path: string): Promise<PlainObject> {
  const text = await readText(disk, path);
  const value = formatOf(path) === 'json' ? decodeJson(text, path) : decodeYaml(text, path);
  // An empty YAML file (or one holding only comments) is an empty mapping.
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) {
    throw new AtomicError(
      'EINVAL',
      `${OP} ${path}: a config file must hold an object (a mapping), found ${Array.isArray(value) ? 'an array' : typeof value}`,
      { path },
    );
  }
  return value;
}

/** Merges `files` into `out`; resolves to the write's result and the merged value. */
export async function mergeConfigs(
  inputs: readonly PathLike[],
  output: PathLike,
  opts?: MergeOptions,
): Promise<MergeResult> {
  const out = pathArg(OP, output, 'out');
  const files = checkArgs(inputs, out, opts);
  const disk = diskOf(opts);
  const values: PlainObject[] = [];
  for (const f of files) values.push(await readConfig(disk, f));
  const value = mergeValues(values, opts?.strategy ?? 'deep');
  const encode = formatOf(out) === 'json' ? encodeJson : encodeYaml;
  // Validation happens here, before the write: a value that fails leaves `out` untouched.
  const text = encode(value, out, { schema: opts?.schema });
  const { strategy: _s, schema: _sc, ...writeOpts } = opts ?? {};
  return { ...(await writeFile(out, text, { ...writeOpts, sha256: true })), value };
}
