export { AtomicError, ValidationError, IntegrityError, LockError, TransactionError } from './base/errors.js';
export type { SchemaIssue } from './base/errors.js';
export type { RetryOptions } from './base/retry.js';
export type { Source, Data } from './base/source.js';
export type { JsonSchema } from './base/schema.js';
export type { Disk, DiskFile, DiskStat, OpenFlags } from './disk/index.js';
export type { BackupHook, BackupRequest, AuditHook, AuditRecord, AuditFile, AuditOutcome } from './file/hooks.js';
export type { WriteOptions, WriteResult, BaseOptions, Progress } from './file/options.js';
export { writeFile, createFile, atomicWrite, type WriteHandle } from './file/write-file.js';
