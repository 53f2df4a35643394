/**
 * Text formats: JSON and YAML (1.2, via the `yaml` package) to and from values.
 * Pure functions, no disk: used both by single-file calls and by transactions.
 * Errors name the file and, for parse errors, the line and column.
 */
import type * as YamlModule from 'yaml';
import { AtomicError } from './errors.js';
import { lazily } from './load-lazily.js';
import { jsonErrorOffset } from './json-position.js';
import { validate, type JsonSchema } from './schema.js';

const yaml = lazily<typeof YamlModule>('yaml');

export interface EncodeOptions {
  /** JSON indentation (default 2). */
  spaces?: number | string;
  /** A JSON.stringify replacer. */
  replacer?: (this: unknown, key: string, value: unknown) => unknown;
  /** JSON Schema checked before encoding. */
  schema?: JsonSchema;
}

function encodeError(path: string, problem: string, cause?: unknown): AtomicError {
  return new AtomicError('EENCODE', `${path}: value cannot be encoded: ${problem}`, { path, cause });
}

/** Finds a cycle or a BigInt, with the JSON path where it sits, for a clear error. */
function findUnencodable(value: unknown, at: string, seen: Set<object>): string | undefined {
  if (typeof value === 'bigint') return `BigInt at ${at || '/'}`;
  if (value === null || typeof value !== 'object') return undefined;
  if (seen.has(value)) return `circular reference at ${at || '/'}`;
  seen.add(value);
  for (const [k, v] of Object.entries(value)) {
    const found = findUnencodable(v, `${at}/${k}`, seen);
    if (found) return found;
  }
  seen.delete(value);
  return undefined;
}

export function encodeJson(value: unknown, path: string, opts: EncodeOptions = {}): string {
  if (opts.schema !== undefined) validate(value, opts.schema, path);
  let text: string | undefined;
  try {
    text = JSON.stringify(value, opts.replacer, opts.spaces ?? 2);
  } catch (err) {
    throw encodeError(path, findUnencodable(value, '', new Set()) ?? (err as Error).message, err);
  }
  if (text === undefined) throw encodeError(path, `${typeof value} has no JSON form`);
  return text + '\n';
}

export function encodeYaml(value: unknown, path: string, opts: EncodeOptions = {}): string {
  if (opts.schema !== undefined) validate(value, opts.schema, path);
  const problem = findUnencodable(value, '', new Set());
  if (problem?.startsWith('circular')) throw encodeError(path, problem);
  try {
    return yaml().stringify(value);
  } catch (err) {
    throw encodeError(path, (err as Error).message, err);
  }
}

/** Line and column (1-based) of character `index` in `text`. */
function lineCol(text: string, index: number): { line: number; col: number } {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return { line, col: index - before.lastIndexOf('\n') };
}

export function decodeJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const offset = jsonErrorOffset(text);
    const where =
      offset < 0
        ? ''
        : (() => {
            const { line, col } = lineCol(text, offset);
            return ` at line ${line}, column ${col}`;
          })();
    const msg = (err as Error).message.split('\n')[0] ?? '';
    throw new AtomicError('EPARSE', `${path}: invalid JSON${where}: ${msg}`, { path, cause: err });
  }
}

export function decodeYaml(text: string, path: string): unknown {
  try {
    return yaml().parse(text, { prettyErrors: true }) as unknown;
  } catch (err) {
    if (err instanceof yaml().YAMLParseError) {
      const pos = err.linePos?.[0];
      const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
      throw new AtomicError('EPARSE', `${path}: invalid YAML${where}: ${err.message.split('\n')[0]}`, {
        path,
        cause: err,
      });
    }
    throw new AtomicError('EPARSE', `${path}: invalid YAML: ${(err as Error).message}`, { path, cause: err });
  }
}

export type Format = 'json' | 'yaml';

/** json for .json, yaml for .yaml/.yml (any case), undefined otherwise. */
export function formatOf(path: string): Format | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  return undefined;
}
