/**
 * JSON Schema validation with Ajv (draft 2020-12 and draft-07 keywords, formats from
 * ajv-formats). Compiled validators are cached per schema object.
 */
import type * as AjvModule from 'ajv';
import type { Ajv, ValidateFunction } from 'ajv';
import { AtomicError, ValidationError } from './errors.js';
import { lazily } from './load-lazily.js';

export type JsonSchema = Record<string, unknown> | boolean;

const ajvModule = lazily<typeof AjvModule>('ajv');
// ajv-formats is CommonJS: its exports are the plugin function itself.
const addFormats = lazily<(ajv: Ajv) => Ajv>('ajv-formats');

let shared: Ajv | undefined;

/** One validator for the process, made on the first schema (see load-lazily.ts). */
function validator(): Ajv {
  if (shared) return shared;
  const ajv = new (ajvModule().Ajv)({ allErrors: true, strict: false });
  addFormats()(ajv);
  return (shared = ajv);
}

const cache = new WeakMap<object, ValidateFunction>();

function compile(schema: JsonSchema, path: string | undefined): ValidateFunction {
  const ajv = validator();
  if (typeof schema === 'boolean') return ajv.compile(schema);
  const cached = cache.get(schema);
  if (cached) return cached;
  try {
    const fn = ajv.compile(schema);
    cache.set(schema, fn);
    return fn;
  } catch (err) {
    const where = path === undefined ? '' : `${path}: `;
    throw new AtomicError('ESCHEMA', `${where}schema does not compile: ${(err as Error).message}`, {
      path,
      cause: err,
    });
  }
}

/** Throws `ValidationError` (naming `path`) unless `value` matches `schema`. */
export function validate(value: unknown, schema: JsonSchema, path: string | undefined): void {
  const fn = compile(schema, path);
  if (fn(value)) return;
  const issues = (fn.errors ?? []).map((e) => ({
    instancePath: e.instancePath,
    message: e.message ?? 'is invalid',
  }));
  throw new ValidationError(path, issues);
}

/** Compiles `schema` now, so that a bad schema fails before anything is written. */
export function assertSchemaCompiles(schema: JsonSchema, path: string | undefined): void {
  compile(schema, path);
}
