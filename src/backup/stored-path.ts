/**
 * Where a file is kept inside a backup: under its path relative to the root when it lies
 * in the root, else under its absolute path without the leading separator (in a separate
 * `_outside` folder when there is a root, so the two kinds can never collide). Files live
 * under `files/` so that no user path can collide with the manifest.
 */
import { isAbsolute, join, relative, sep } from 'node:path';

export const FILES_DIR = 'files';

function inside(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  if (rel === '' || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel)) return undefined;
  return rel;
}

function withoutRoot(path: string): string {
  // Drops the leading "/" (or a Windows drive) so the path nests under the backup folder.
  return path.replace(/^[A-Za-z]:/, '').replace(/^[\\/]+/, '');
}

/** The stored path (relative to the backup folder) of absolute `path`. */
export function storedPathFor(path: string, root: string | undefined): string {
  if (root === undefined) return join(FILES_DIR, withoutRoot(path));
  const rel = inside(root, path);
  return rel === undefined ? join(FILES_DIR, '_outside', withoutRoot(path)) : join(FILES_DIR, rel);
}
