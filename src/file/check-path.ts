/**
 * Paths as callers give them: strings or `file:` URLs (as in node:fs), checked before
 * anything touches the disk, with our own EINVAL naming the path (not Node's
 * ERR_INVALID_ARG_VALUE from deep inside a call).
 */
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AtomicError, invalidArg } from '../base/errors.js';

/** A path: a string, or a `file:` URL. */
export type PathLike = string | URL;

/**
 * `path` as a string: a `file:` URL converted, anything but a non-empty string refused
 * (EINVAL), a null byte refused (EINVAL naming the path). For a path that must name a
 * file (`file`), a trailing separator is refused with ENOTDIR, as cp and node:fs do:
 * `keep.txt/` names a folder, and resolving it would silently drop the slash.
 */
export function pathArg(op: string, path: unknown, what = 'path', file = true): string {
  let p = path;
  if (path instanceof URL) {
    try {
      p = fileURLToPath(path);
    } catch (err) {
      throw new AtomicError(
        'EINVAL',
        `${op} ${path.href}: ${what} must be a file: URL or a path string (${(err as Error).message})`,
        { path: path.href, cause: err },
      );
    }
  }
  if (typeof p !== 'string' || p === '')
    throw invalidArg(op, undefined, `${what} must be a non-empty string or a file: URL, got ${JSON.stringify(p)}`);
  if (p.includes('\0')) throw invalidArg(op, JSON.stringify(p), `${what} contains a null byte`);
  if (file && p.length > 1 && (p.endsWith('/') || p.endsWith(sep))) {
    throw new AtomicError(
      'ENOTDIR',
      `${op} ${p}: ENOTDIR: ends in a separator, so it names a folder, but a file is expected`,
      { path: p },
    );
  }
  return p;
}

/** EINVAL before touching the disk unless `path` is a non-empty string (for internal callers). */
export function checkPath(op: string, path: unknown, what = 'path'): asserts path is string {
  pathArg(op, path, what);
}

/**
 * Where separators are `/`, an absolute path with no empty, `.` or `..` segment and no
 * trailing separator: what path.resolve would return unchanged. Elsewhere (Windows: drive
 * letters, both separators) nothing is taken as normal already.
 */
const NORMAL_ABSOLUTE = sep === '/' ? /^(?:\/(?!\.\.?(?:\/|$))[^/]+)+$/ : /(?!)/;

/**
 * `path` made absolute and normal, as path.resolve makes it. A path that is so already is
 * returned as it is: path.resolve normalises it character by character, a cost that
 * every write would pay for an answer it knows.
 */
export function absolutePath(path: string): string {
  return NORMAL_ABSOLUTE.test(path) ? path : resolve(path);
}
