/**
 * Checks of a crash state against the promise: the files hold one of the allowed
 * combinations (old or new, never a mix), the final one if the operation resolved (the
 * ALICE check), and nothing else is there but what the policy allows.
 */
import { basename } from 'node:path';
import { parseTempName } from '../../src/file/temp-name.js';
import type { SimDisk } from './sim-disk.js';

/** path → content, or null for "absent". */
export type Files = Record<string, string | null>;

export interface ExpectOptions {
  /** Index in `states` of the state a resolved operation must leave (default: the last). */
  final?: number;
  /**
   * Single-file operations may leave temporary files after a crash, but only under names
   * that `cleanupTemps` recognises (parseTempName); transactions after recovery: none.
   */
  allowTemps?: boolean;
  /** Other leftovers the promise tolerates (say, a dead holder's lock record). */
  ignore?: (path: string) => boolean;
}

export const isLockPath = (p: string): boolean => p.includes('.atomicfs-lock');

function show(v: string | null | undefined): string {
  if (v === null || v === undefined) return 'absent';
  return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…(${v.length})` : v);
}

/** The files under `root` (recursively), and any stray one: not in `known`, not allowed. */
export function filesUnder(
  sim: SimDisk,
  root: string,
  known: Set<string>,
  opts: ExpectOptions,
): { files: Map<string, string>; strays: string[] } {
  const files = new Map<string, string>();
  const strays: string[] = [];
  for (const [path, e] of sim.tree(root)) {
    if (opts.ignore?.(path)) continue;
    if (e.kind === 'dir') continue;
    if (known.has(path) && e.kind === 'file') {
      files.set(path, e.data.toString('latin1'));
      continue;
    }
    if (e.kind === 'file' && opts.allowTemps && parseTempName(basename(path))) continue;
    strays.push(path);
  }
  return { files, strays };
}

/** A check: the files under `root` equal one of `states`; the final one if resolved. */
export function oneOf(
  root: string,
  states: Files[],
  opts: ExpectOptions = {},
): (sim: SimDisk, resolved: boolean) => string | undefined {
  const known = new Set(states.flatMap((s) => Object.keys(s)));
  const final = opts.final ?? states.length - 1;
  return (sim, resolved) => {
    const { files, strays } = filesUnder(sim, root, known, opts);
    if (strays.length > 0) return `left behind: ${strays.join(', ')}`;
    const matches = (s: Files): boolean => [...known].every((p) => (files.get(p) ?? null) === (s[p] ?? null));
    const actual = [...known].map((p) => `${p}=${show(files.get(p))}`).join(' ');
    if (resolved && !matches(states[final]!)) return `resolved, but the new state is not durable: ${actual}`;
    if (!states.some(matches)) return `neither old nor new: ${actual}`;
    return undefined;
  };
}
