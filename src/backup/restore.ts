/**
 * Putting a backup back: one transaction that rewrites every kept file, so a crash or an
 * error leaves every file as it was or every file restored (after `recover(root)`).
 * Each kept copy is hashed again while it streams into the transaction: a copy damaged
 * after the caller's check fails the commit before its commit point (nothing changes).
 */
import { dirname, join, sep } from 'node:path';
import type { Disk } from '../disk/index.js';
import { IntegrityError } from '../base/errors.js';
import { newHash } from '../base/sha256.js';
import type { AuditHook, BackupHook } from '../file/hooks.js';
import { transaction } from '../tx/transaction.js';
import type { BackupFile, Manifest } from './manifest.js';
import { readPathChunks } from '../file/read-chunks.js';

export interface RestoreOptions {
  /** The transaction's root (default: the backup's root, else the folder that holds all its files). */
  root?: string | undefined;
  /** Record the restore in this audit log. */
  audit?: AuditHook | undefined;
  /** Keep the current versions first (pass the store itself to make a restore undoable). */
  backup?: BackupHook | undefined;
  signal?: AbortSignal | undefined;
  /** Give up waiting for the files' locks after this many ms. */
  timeout?: number | undefined;
}

export interface RestoreResult {
  id: string;
  /** The files put back. */
  restored: string[];
  /** The id of the transaction that restored them. */
  transactionId: string;
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

export async function restoreFiles(disk: Disk, folder: string, m: Manifest, opts: RestoreOptions): Promise<RestoreResult> {
  const root = opts.root ?? m.root ?? commonFolder(m.files.map((f) => f.path));
  const tx = await transaction({ root, disk, audit: opts.audit, backup: opts.backup, signal: opts.signal, timeout: opts.timeout });
  for (const f of m.files) tx.writeFile(f.path, checked(disk, join(folder, f.stored), f), { mode: f.mode });
  const { id } = await tx.commit();
  return { id: m.id, restored: m.files.map((f) => f.path), transactionId: id };
}
