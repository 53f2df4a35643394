/**
 * --backup-dir and --audit: the library's BackupStore and AuditLog attached to a change,
 * so the previous version is kept and the change recorded.
 */
import type { Command } from 'commander';
import { AuditLog, BackupStore } from '../index.js';

export interface HookFlags {
  backupDir?: string;
  audit?: string;
}

export function addHookFlags(cmd: Command): Command {
  return cmd
    .option('--backup-dir <dir>', 'keep the previous version in this backup store')
    .option('--audit <file>', 'record the change in this audit log');
}

export function hookOptions(flags: HookFlags): { backup?: BackupStore; audit?: AuditLog } {
  return {
    ...(flags.backupDir === undefined ? {} : { backup: new BackupStore(flags.backupDir) }),
    ...(flags.audit === undefined ? {} : { audit: new AuditLog(flags.audit) }),
  };
}
