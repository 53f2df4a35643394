/**
 * Putting a backup back: one transaction that rewrites every kept file, so a crash or an
 * error leaves every file as it was or every file restored (after `recover(root)`).
 * Each kept copy is hashed again while it streams into the transaction: a copy damaged
 * after the caller's check fails the commit before its commit point (nothing changes).
 */
import { runAsync } from '../disk/dual.js';
import { dirname, join, sep } from 'node:path';
import type { Disk } from '../disk/index.js';
import { IntegrityError } from '../base/errors.js';
import { newHash } from '../base/sha256.js';
import type { AuditHook, BackupHook } from '../file/hooks.js';
import { startTransaction } from '../tx/transaction.js';
import { checkBatchName, MAX_NAME_LENGTH } from '../tx/batch-name.js';
import { removeEmptyDirs } from '../tx/parent-dirs.js';
import type { BackupFile, Manifest } from './manifest.js';
import { readPathChunks } from '../file/read-chunks.js';

export interface RestoreOptions {
  /** The transaction's root (default: the backup's root, else the folder that holds all its files). */
  root?: string | undefined;
  /** Record the restore in this audit log (operation `restore`). */
  audit?: AuditHook | undefined;
  /**
   * Where the restore keeps the versions it replaces and removes, as its own backup
   * (its undo). Default: the store restored from; `false`: nowhere.
   */
  backup?: BackupHook | false | undefined;
  /** The restore's name (default: `restore of <id>`, and the batch's name). */
  name?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Give up waiting for the files' locks after this many ms. */
  timeout?: number | undefined;
}

export interface RestoreResult {
  id: string;
  /** The files put back. */
  restored: string[];
  /** The files the backed-up change had created, removed. */
  removed: string[];
  /** The folders the change had created, removed because they were empty. */
  removedDirs: string[];
  /** The id of the transaction that restored them. */
  transactionId: string;
  /** The restore's own backup (its undo), if one was kept. */
  backupId?: string | undefined;
}

/** The deepest folder that holds every one of `paths`. */
export function commonFolder(paths: readonly string[]): string {
  const parts = paths.map((p) => dirname(p).split(sep));
  const first = parts[0] ?? [''];
  let n = first.length;
  for (const p of parts) {
    let i = 0;
    while (i < n && p[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join(sep) || sep;
}

async function* checked(disk: Disk, stored: string, f: BackupFile): AsyncGenerator<Uint8Array> {
  const hash = newHash();
  for await (const chunk of readPathChunks(disk, stored, { op: 'restore', path: stored, fresh: true })) {
    hash.update(chunk);
    yield chunk;
  }
  const actual = hash.digest('hex');
  if (actual !== f.sha256) throw new IntegrityError(f.path, f.sha256, actual);
}

function defaultName(m: Manifest): string {
  const name = `restore of ${m.id}${m.name === undefined ? '' : ` (${m.name})`}`;
  return name.length <= MAX_NAME_LENGTH ? name : `${name.slice(0, MAX_NAME_LENGTH - 1)}…`;
}

export async function restoreFiles(
  disk: Disk,
  folder: string,
  m: Manifest,
  opts: RestoreOptions & { backup?: BackupHook | undefined },
): Promise<RestoreResult> {
  const created = m.created ?? [];
  const root = opts.root ?? m.root ?? commonFolder([...m.files.map((f) => f.path), ...created]);
  const name = checkBatchName('restore', m.id, opts.name) ?? defaultName(m);
  // The restore's own backup id, as the hook hands it back.
  let backupId: string | undefined;
  const keep = opts.backup;
  const backup: BackupHook | undefined = keep && {
    preserve: async (paths, request) => (backupId = await keep.preserve(paths, request)),
  };
  const tx = await startTransaction(
    { root, disk, audit: opts.audit, backup, signal: opts.signal, timeout: opts.timeout, name },
    { operation: 'restore', restoreOf: m.id },
  );
  for (const f of m.files) tx.writeFile(f.path, checked(disk, join(folder, f.stored), f), { mode: f.mode });
  // Files the change created: gone before it, so gone again (already gone is fine).
  for (const p of created) tx.deleteFile(p, { force: true });
  const { id, changed } = await tx.commit();
  // Outside the transaction: an empty folder left by a crash here holds nothing.
  const removedDirs = await runAsync(removeEmptyDirs(disk, m.createdDirs ?? []));
  const gone = new Set(changed);
  return {
    id: m.id,
    restored: m.files.map((f) => f.path),
    removed: created.filter((p) => gone.has(p)),
    removedDirs,
    transactionId: id,
    backupId,
  };
}
