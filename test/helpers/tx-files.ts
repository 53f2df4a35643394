/** Snapshots of a folder tree for transaction tests: what every file holds, and leftovers. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every regular file under `dir` with its content (state and lock folders, staged and temporary files excluded: see leftovers()). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (name === '.atomicfs' || name.endsWith('.atomicfs-lock') || /\.atomicfs-(stage|tmp)$/.test(name)) continue;
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** Staged files and temporary files left anywhere under `dir`. */
export function leftovers(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((n) => /\.atomicfs-(stage|tmp)$/.test(n));
}

/** Journals under `<root>/.atomicfs/`. */
export function journals(root: string): string[] {
  try {
    return readdirSync(join(root, '.atomicfs')).filter((n) => n.endsWith('.journal'));
  } catch {
    return [];
  }
}

/** Lock owner files (and their lists of locks) of transactions under `<root>/.atomicfs/`. */
export function owners(root: string): string[] {
  try {
    return readdirSync(join(root, '.atomicfs')).filter((n) => n.endsWith('.owner') || n.endsWith('.locks'));
  } catch {
    return [];
  }
}

/** Locks (folders, or links to an owner file) left anywhere under `dir`. */
export function locksLeft(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((n) => n.endsWith('.atomicfs-lock'));
}
