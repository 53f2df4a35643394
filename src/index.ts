import {
  argText,
  optText,
  runTraced,
  traceCall,
  traced,
  tracedOpen,
  tracedSync,
  type Describe,
  type TraceSpec,
} from './base/trace.js';
export { AtomicError, ValidationError, IntegrityError, LockError, TransactionError } from './base/errors.js';
export type { SchemaIssue, AtomicErrorCode, ErrorCode, SystemErrorCode } from './base/errors.js';
export type { RetryOptions } from './base/retry.js';
export type { Source, Data } from './base/source.js';
export type { JsonSchema } from './base/schema.js';
export type { Disk, DiskDir, DiskFile, DiskStat, OpenFlags } from './disk/index.js';
export type { BackupHook, BackupRequest, AuditHook, AuditRecord, AuditFile, AuditOutcome } from './file/hooks.js';
export type {
  WriteOptions,
  WriteResult,
  HashedWriteResult,
  HashedOptions,
  BaseOptions,
  Progress,
  SyncOptions,
} from './file/options.js';
import * as writes from './file/write-file.js';
export type { WriteHandle } from './file/write-file.js';
import { readFile as readFileCore, readFileSync as readFileSyncCore } from './file/read-file.js';
export type { ReadFileOptions } from './file/read-file.js';
import { deleteFile as deleteFileCore, deleteFileSync as deleteFileSyncCore } from './file/delete-file.js';
export type { DeleteOptions } from './file/delete-file.js';
import { copyFile as copyFileCore, copyFileSync as copyFileSyncCore } from './file/copy-file.js';
import { moveFile as moveFileCore, moveFileSync as moveFileSyncCore } from './file/move-file.js';
export type { MoveOptions } from './file/move-file.js';
import { sha256File as sha256FileCore, sha256FileSync as sha256FileSyncCore } from './file/sha256-file.js';
import { cleanupTemps as cleanupTempsCore } from './upkeep/cleanup-temps.js';
export type { CleanupOptions, CleanupResult } from './upkeep/cleanup-temps.js';
import { lock as lockCore, lockSync as lockSyncCore } from './lock/lock.js';
export type { LockOptions, LockSyncOptions, Release, DualRelease, HeldLock } from './lock/lock.js';
export { check, unlock, type CheckOptions, type UnlockOptions } from './lock/lock-check.js';
export type { Coordinator, Decision, ClaimResult } from './lock/coordinator.js';
import * as values from './formats/json.js';
export type { WriteValueOptions, ReadValueOptions } from './formats/json.js';
import { updateJson as updateJsonCore, updateJsonSync as updateJsonSyncCore } from './formats/update-json.js';
export type { UpdateJsonOptions, UpdateJsonSyncOptions } from './formats/update-json.js';
import { BackupStore as BackupStoreCore } from './backup/backup-store.js';
export type {
  BackupStoreOptions,
  BackupInfo,
  BackupQuery,
  BackupVerifyResult,
  BackupProblem,
  PruneResult,
} from './backup/backup-store.js';
export type { RestoreOptions, RestoreResult } from './backup/restore.js';
export type { BackupFile, Manifest as BackupManifest } from './backup/manifest.js';
export {
  AuditLog,
  type AuditLogOptions,
  type AuditQuery,
  type AuditVerifyResult,
  type AuditSummary,
  type AuditEntry,
  type OperationStats,
} from './audit/audit-log.js';
import { rotateFile as rotateFileCore } from './upkeep/rotate-file.js';
export type { RotateOptions, RotateResult } from './upkeep/rotate-file.js';
import { mergeConfigs as mergeConfigsCore } from './upkeep/merge-configs.js';
export type { MergeOptions, MergeResult, MergeStrategy } from './upkeep/merge-configs.js';
import { transaction as transactionCore } from './tx/transaction.js';
export { Transaction, type TransactionOptions, type TransactionState } from './tx/transaction.js';
export type { CommitResult } from './tx/commit.js';
export type { TxWriteOptions, TxJsonOptions, TxDeleteOptions } from './tx/staged.js';
import { withTransaction as withTransactionCore } from './tx/with-transaction.js';
import { guard as guardCore } from './tx/guard.js';
export type { GuardOptions } from './tx/guard.js';
import { recover as recoverCore, recoverSync as recoverSyncCore } from './tx/recover.js';
export type { RecoverReport, RecoverOptions } from './tx/recover.js';
export { handleSignals, type HandleSignalsOptions } from './tx/signals.js';
export { CHANNEL_PREFIX, type TraceContext } from './base/trace.js';

// The public calls, each traced on `atomicfs:<name>` and its audit records timed (base/trace.ts).
const file: Describe = (a) => ({ path: argText(a, 0) });
const pair: Describe = (a) => ({ path: argText(a, 0), dest: argText(a, 1) });
const rooted =
  (at: number): Describe =>
  (a) => ({ root: optText(a, at, 'root'), name: optText(a, at, 'name') });

export const writeFile = traced({ operation: 'writeFile', describe: file, optionsAt: 2 }, writes.writeFile);
export const createFile = traced({ operation: 'createFile', describe: file, optionsAt: 2 }, writes.createFile);
export const atomicWrite = traced({ operation: 'atomicWrite', describe: file, optionsAt: 2 }, writes.atomicWrite);
export const readFile = traced({ operation: 'readFile', describe: file }, readFileCore);
export const deleteFile = traced({ operation: 'deleteFile', describe: file, optionsAt: 1 }, deleteFileCore);
export const copyFile = traced({ operation: 'copyFile', describe: pair, optionsAt: 2 }, copyFileCore);
export const moveFile = traced({ operation: 'moveFile', describe: pair, optionsAt: 2 }, moveFileCore);
export const sha256File = traced({ operation: 'sha256File', describe: file }, sha256FileCore);

// The synchronous calls: the same protocols, driven synchronously (disk/dual.ts); traced
// on channels of their own name.
export const writeFileSync = tracedSync(
  { operation: 'writeFileSync', describe: file, optionsAt: 2 },
  writes.writeFileSync,
);
export const createFileSync = tracedSync(
  { operation: 'createFileSync', describe: file, optionsAt: 2 },
  writes.createFileSync,
);
export const readFileSync = tracedSync({ operation: 'readFileSync', describe: file }, readFileSyncCore);
export const deleteFileSync = tracedSync(
  { operation: 'deleteFileSync', describe: file, optionsAt: 1 },
  deleteFileSyncCore,
);
export const copyFileSync = tracedSync({ operation: 'copyFileSync', describe: pair, optionsAt: 2 }, copyFileSyncCore);
export const moveFileSync = tracedSync({ operation: 'moveFileSync', describe: pair, optionsAt: 2 }, moveFileSyncCore);
export const sha256FileSync = tracedSync({ operation: 'sha256FileSync', describe: file }, sha256FileSyncCore);
export const cleanupTemps = traced({ operation: 'cleanupTemps', describe: file }, cleanupTempsCore);
export const lock = traced({ operation: 'lock', describe: file }, lockCore);
export const writeJson = traced({ operation: 'writeJson', describe: file, optionsAt: 2 }, values.writeJson);
export const writeYaml = traced({ operation: 'writeYaml', describe: file, optionsAt: 2 }, values.writeYaml);
export const readJson = traced({ operation: 'readJson', describe: file }, values.readJson);
export const readYaml = traced({ operation: 'readYaml', describe: file }, values.readYaml);
export const updateJson = traced({ operation: 'updateJson', describe: file, optionsAt: 2 }, updateJsonCore);

// The locks' and formats' synchronous calls (disk/dual.ts), traced on channels of their own name.
export const lockSync = tracedSync({ operation: 'lockSync', describe: file }, lockSyncCore);
export const writeJsonSync = tracedSync(
  { operation: 'writeJsonSync', describe: file, optionsAt: 2 },
  values.writeJsonSync,
);
export const writeYamlSync = tracedSync(
  { operation: 'writeYamlSync', describe: file, optionsAt: 2 },
  values.writeYamlSync,
);
export const readJsonSync = tracedSync({ operation: 'readJsonSync', describe: file }, values.readJsonSync);
export const readYamlSync = tracedSync({ operation: 'readYamlSync', describe: file }, values.readYamlSync);
export const updateJsonSync = tracedSync(
  { operation: 'updateJsonSync', describe: file, optionsAt: 2 },
  updateJsonSyncCore,
);
export const rotateFile = traced({ operation: 'rotateFile', describe: file }, rotateFileCore);
export const mergeConfigs = traced(
  { operation: 'mergeConfigs', describe: (a) => ({ path: argText(a, 1) }), optionsAt: 2 },
  mergeConfigsCore,
);
export const transaction = tracedOpen(
  { operation: 'transaction', describe: (a) => ({ ...rooted(0)(a), transactionId: argText(a, 1) }) },
  transactionCore,
);
export const withTransaction = traced(
  { operation: 'withTransaction', describe: rooted(1), optionsAt: 1 },
  withTransactionCore,
);
export const guard = traced({ operation: 'guard', describe: rooted(2), optionsAt: 2 }, guardCore);
export const recover = traced(
  { operation: 'recover', describe: (a) => ({ root: argText(a, 0) }), optionsAt: 1 },
  recoverCore,
);
export const recoverSync = tracedSync(
  { operation: 'recoverSync', describe: (a) => ({ root: argText(a, 0) }), optionsAt: 1 },
  recoverSyncCore,
);

const restoreSpec: TraceSpec = { operation: 'restore', describe: (a) => ({ id: argText(a, 0) }), optionsAt: 1 };
const pruneSpec: TraceSpec = { operation: 'prune' };

/** The backup store, its restore and prune traced like the calls above. */
export class BackupStore extends BackupStoreCore {
  override restore(...args: Parameters<BackupStoreCore['restore']>): ReturnType<BackupStoreCore['restore']> {
    return runTraced(restoreSpec, args, (a) => super.restore(...(a as typeof args)));
  }

  override prune(): ReturnType<BackupStoreCore['prune']> {
    return traceCall(pruneSpec, [], () => super.prune());
  }
}
