/**
 * The audit entry recovery writes for each dead transaction (or guard) it rolls back or
 * forward: operation `recover`, the batch's id and name, and every file it named with
 * its SHA-256 before the batch and after recovery. The hashes before come from the
 * journal when the batch was audited (it keeps them), else from what is on disk: the
 * backup link of a replaced file is its old inode, and a file not yet replaced is old.
 * Everything is read before the replay changes anything.
 */
import type { Disk } from '../disk/index.js';
import { errorCode } from '../base/errors.js';
import type { AuditFile, AuditRecord } from '../file/hooks.js';
import { hashFile } from '../file/sha256-file.js';
import type { Intent } from './journal.js';
import type { Dual } from '../disk/dual.js';

type Hashed = { sha256: string; bytes: number } | null;

function* hashOf(disk: Disk, path: string | null | undefined): Dual<Hashed> {
  if (path === null || path === undefined) return null;
  try {
    return yield* hashFile(disk, path, { op: 'recover' });
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'EISDIR') return null;
    throw err;
  }
}

/** The hash before: the journal's, else the first of `candidates` that exists. */
function* beforeOf(
  disk: Disk,
  intent: Intent,
  path: string,
  candidates: (string | null | undefined)[],
): Dual<string | null> {
  const known = intent.hashes?.[path];
  if (known !== undefined) return known;
  for (const c of candidates) {
    const h = yield* hashOf(disk, c);
    if (h) return h.sha256;
  }
  return null;
}

function* exists(disk: Disk, path: string): Dual<boolean> {
  try {
    return (yield* hashOf(disk, path)) !== null;
  } catch {
    return false;
  }
}

/** The files of `intent`, before it and after recovery: rolled forward or back. */
export function* recoveredFiles(disk: Disk, intent: Intent, forward: boolean): Dual<AuditFile[]> {
  const out: AuditFile[] = [];
  const unchanged = function* (path: string, before: string | null): Dual<AuditFile> {
    const now = yield* hashOf(disk, path);
    return { path, before, after: before, size: now?.sha256 === before ? now.bytes : 0 };
  };
  for (const op of intent.ops) {
    if (op.kind === 'guard') {
      // Rolled back: the original (its copy) comes back; forward: the code's edits stay.
      const before = yield* beforeOf(disk, intent, op.target, op.backup === null ? [] : [op.backup]);
      if (!forward)
        out.push({ path: op.target, before, after: before, size: (yield* hashOf(disk, op.backup))?.bytes ?? 0 });
      else {
        const now = yield* hashOf(disk, op.target);
        out.push({ path: op.target, before, after: now?.sha256 ?? null, size: now?.bytes ?? 0 });
      }
      continue;
    }
    if (op.kind === 'delete') {
      const before = yield* beforeOf(disk, intent, op.target, [op.backup, op.target]);
      out.push(forward ? { path: op.target, before, after: null, size: 0 } : yield* unchanged(op.target, before));
      continue;
    }
    const staged = yield* exists(disk, op.stage);
    // A target whose staged file is still there was not replaced yet: it is old.
    const before = yield* beforeOf(disk, intent, op.target, [op.backup, staged || !forward ? op.target : null]);
    if (forward) {
      const now = yield* hashOf(disk, staged ? op.stage : op.target);
      out.push({ path: op.target, before, after: now?.sha256 ?? null, size: now?.bytes ?? 0 });
    } else out.push(yield* unchanged(op.target, before));
    if (op.kind === 'move') {
      const src = yield* beforeOf(disk, intent, op.source, [op.sourceBackup, op.source]);
      out.push(forward ? { path: op.source, before: src, after: null, size: 0 } : yield* unchanged(op.source, src));
    }
  }
  return out;
}

/** The entry for one recovered batch. */
export function recoveryRecord(
  intent: Intent | undefined,
  id: string,
  forward: boolean,
  files: AuditFile[],
): AuditRecord {
  return {
    operation: 'recover',
    outcome: forward ? 'ok' : 'rolled-back',
    transactionId: id,
    name: intent?.name,
    files,
    error: forward
      ? undefined
      : `rolled back by recover(): ${intent?.type === 'guard' ? 'its guarded code never finished' : 'it died before its commit point'}`,
  };
}
