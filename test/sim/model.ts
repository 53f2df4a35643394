/**
 * A plain model of what each file should hold (a Map of path → content) and the
 * commands the property tests run against both it and atomicfs on a simulated disk.
 */
import type { Disk } from '../../src/index.js';
import { need } from './ops.js';

export type Model = Map<string, string>;

export type Cmd =
  | { k: 'write'; p: string; v: string }
  | { k: 'create'; p: string; v: string }
  | { k: 'delete'; p: string }
  | { k: 'copy'; p: string; q: string }
  | { k: 'move'; p: string; q: string }
  | { k: 'tx'; changes: [path: string, value: string | null][] };

/** The model after `cmd`, or the error code atomicfs must fail with (model unchanged). */
export function applyModel(m: Model, cmd: Cmd): { next: Model; error?: string } {
  const next = new Map(m);
  switch (cmd.k) {
    case 'write':
      next.set(cmd.p, cmd.v);
      return { next };
    case 'create':
      if (m.has(cmd.p)) return { next: m, error: 'EEXIST' };
      next.set(cmd.p, cmd.v);
      return { next };
    case 'delete':
      if (!m.has(cmd.p)) return { next: m, error: 'ENOENT' };
      next.delete(cmd.p);
      return { next };
    case 'copy':
      if (!m.has(cmd.p)) return { next: m, error: 'ENOENT' };
      if (cmd.p === cmd.q) return { next: m, error: 'EINVAL' };
      next.set(cmd.q, m.get(cmd.p)!);
      return { next };
    case 'move':
      if (!m.has(cmd.p)) return { next: m, error: 'ENOENT' };
      if (cmd.p === cmd.q) return { next };
      next.set(cmd.q, m.get(cmd.p)!);
      next.delete(cmd.p);
      return { next };
    case 'tx':
      for (const [p, v] of cmd.changes) {
        if (v === null) next.delete(p);
        else next.set(p, v);
      }
      return { next };
  }
}

export async function runCmd(disk: Disk, cmd: Cmd, root: string, extra: Record<string, unknown> = {}): Promise<void> {
  const o = { disk, ...extra };
  switch (cmd.k) {
    case 'write':
      await need('writeFile')(cmd.p, cmd.v, o);
      return;
    case 'create':
      await need('createFile')(cmd.p, cmd.v, o);
      return;
    case 'delete':
      await need('deleteFile')(cmd.p, o);
      return;
    case 'copy':
      await need('copyFile')(cmd.p, cmd.q, o);
      return;
    case 'move':
      await need('moveFile')(cmd.p, cmd.q, o);
      return;
    case 'tx': {
      const tx = await need('transaction')({ root, disk, timeout: 2000 });
      for (const [p, v] of cmd.changes) {
        if (v === null) tx.deleteFile(p, { force: true });
        else tx.writeFile(p, v);
      }
      await tx.commit();
      return;
    }
  }
}

export function showModel(m: Model | Map<string, string>): string {
  return JSON.stringify(Object.fromEntries([...m].sort()));
}

export function sameModel(a: Model, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([p, v]) => b.get(p) === v);
}
