import { invalidArg } from '../base/errors.js';

/** EINVAL before touching the disk unless `path` is a non-empty string. */
export function checkPath(op: string, path: unknown, what = 'path'): asserts path is string {
  if (typeof path !== 'string' || path === '') throw invalidArg(op, undefined, `${what} must be a non-empty string, got ${JSON.stringify(path)}`);
}
