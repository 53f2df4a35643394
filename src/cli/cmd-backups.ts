/** `backups list|restore|prune --backup-dir DIR`: the library's BackupStore. */
import type { Command } from 'commander';
import { AtomicError, AuditLog, BackupStore } from '../index.js';
import { toJson } from './json-value.js';
import { parseCount, parseMs } from './parse-number.js';
import { runCommand } from './run.js';
import { renderTable } from './table.js';
import { addJsonFlag } from './write-options.js';

interface StoreFlags {
  backupDir: string;
  json?: boolean;
}

interface RestoreFlags extends StoreFlags {
  root?: string;
  keepCurrent?: boolean;
  audit?: string;
  timeout?: number;
}

function storeCommand(parent: Command, usage: string, description: string, example: string): Command {
  const cmd = parent
    .command(usage)
    .description(description)
    .requiredOption('--backup-dir <dir>', 'the backup store')
    .addHelpText('after', `\nExample:\n  ${example}`);
  return addJsonFlag(cmd);
}

function when(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

export function registerBackups(program: Command): void {
  const backups = program
    .command('backups')
    .description('list, restore, verify and prune the backups kept by --backup-dir')
    .addHelpText('after', '\nExample:\n  atomicfs backups list --backup-dir /var/backups/app');

  storeCommand(backups, 'list', 'list the backups, newest first', 'atomicfs backups list --backup-dir /var/backups/app --json').action(
    (flags: StoreFlags) =>
      runCommand({ command: 'backups list', json: flags.json, failure: 'read', interrupts: 'abort' }, async () => {
        const list = await new BackupStore(flags.backupDir).list();
        const rows = list.map((b) => [b.id, when(b.createdAt), b.operation, b.files.map((f) => f.path).join(' ')]);
        const text = list.length === 0 ? `no backups in ${flags.backupDir}` : renderTable(['ID', 'CREATED', 'OPERATION', 'FILES'], rows);
        return { data: { backupDir: flags.backupDir, backups: toJson(list) }, text };
      }),
  );

  storeCommand(backups, 'restore <id>', 'put back every file of backup <id>, in one transaction (checked against its SHA-256 sums first)', 'atomicfs backups restore 20260101T120000Z-1a2b --backup-dir /var/backups/app --keep-current')
    .option('--root <dir>', "the transaction's root (default: the backup's root, else the folder holding all its files)")
    .option('--keep-current', 'keep the current versions in the same store first, so the restore can be undone')
    .option('--audit <file>', 'record the restore in this audit log')
    .option('--timeout <ms>', "give up waiting for the files' locks after this many milliseconds", parseMs)
    .action((id: string, flags: RestoreFlags) =>
      runCommand({ command: 'backups restore', json: flags.json, failure: 'atomic', interrupts: 'abort' }, async (ctx) => {
        const store = new BackupStore(flags.backupDir);
        const r = await store.restore(id, {
          root: flags.root,
          timeout: flags.timeout,
          signal: ctx.signal,
          ...(flags.keepCurrent === true ? { backup: store } : {}),
          ...(flags.audit === undefined ? {} : { audit: new AuditLog(flags.audit) }),
        });
        return {
          data: { backupDir: flags.backupDir, id: r.id, restored: r.restored, transactionId: r.transactionId },
          text: `restored backup ${r.id}: ${r.restored.join(', ')}`,
        };
      }),
    );

  storeCommand(backups, 'verify <id>', 'check every kept file of backup <id> against its size and SHA-256: status 1 if one is damaged', 'atomicfs backups verify 20260101T120000Z-1a2b --backup-dir /var/backups/app').action(
    (id: string, flags: StoreFlags) =>
      runCommand({ command: 'backups verify', json: flags.json, failure: 'read', interrupts: 'abort' }, async () => {
        const r = await new BackupStore(flags.backupDir).verify(id);
        if (!r.ok) {
          const list = r.problems.map((p) => `${p.path}: ${p.problem}`).join('; ');
          throw new AtomicError('EINTEGRITY', `backup ${id} in ${flags.backupDir} is damaged: ${list}`, { path: r.problems[0]?.path ?? flags.backupDir });
        }
        return { data: { backupDir: flags.backupDir, id, ok: true, problems: [] }, text: `backup ${id}: every kept file is intact` };
      }),
  );

  storeCommand(backups, 'prune', 'drop backups beyond --keep / older than --max-age-ms', 'atomicfs backups prune --backup-dir /var/backups/app --keep 10')
    .option('--keep <n>', 'keep at most this many backups (the newest)', parseCount)
    .option('--max-age-ms <ms>', 'drop backups older than this (never the newest)', parseMs)
    .action((flags: StoreFlags & { keep?: number; maxAgeMs?: number }) =>
      runCommand({ command: 'backups prune', json: flags.json, failure: 'steps', interrupts: 'abort' }, async () => {
        const store = new BackupStore(flags.backupDir, { keep: flags.keep, maxAgeMs: flags.maxAgeMs });
        const { removed } = await store.prune();
        return { data: { backupDir: flags.backupDir, removed }, text: `pruned ${flags.backupDir}: ${removed.length} backups removed` };
      }),
    );
}
