/** `backups list|show|restore|verify|prune --backup-dir DIR`: the library's BackupStore. */
import type { Command } from 'commander';
import { AtomicError, AuditLog, BackupStore, type BackupInfo } from '../index.js';
import { toJson } from './json-value.js';
import type { JsonValue } from './output.js';
import {
  addListingFlags,
  batchTable,
  plural,
  countsOf,
  describeCounts,
  fields,
  fileLines,
  shortTime,
  widthFor,
  type Changes,
  type ListingFlags,
} from './listing.js';
import { parseCount, parseMs } from './parse-number.js';
import { runCommand } from './run.js';
import { addJsonFlag } from './write-options.js';

interface StoreFlags extends ListingFlags {
  backupDir: string;
  json?: boolean;
}

interface ListFlags extends StoreFlags {
  name?: string;
  operation?: string;
}

interface RestoreFlags extends StoreFlags {
  root?: string;
  keepCurrent?: boolean;
  name?: string;
  audit?: string;
  timeout?: number;
}

type Batch = BackupInfo;

/** The batch's files: kept ones replaced (changed) or deleted, and the ones it created. */
export function changesOfBackup(b: Batch): Changes {
  const gone = new Set(b.deleted);
  return { changed: b.files.map((f) => f.path).filter((p) => !gone.has(p)), created: b.created, deleted: b.deleted };
}

function storeCommand(parent: Command, usage: string, description: string, example: string): Command {
  const cmd = parent
    .command(usage)
    .description(description)
    .requiredOption('--backup-dir <dir>', 'the backup store')
    .addHelpText('after', `\nExample:\n  ${example}`);
  return addJsonFlag(cmd);
}

/** The store, which must exist: a mistyped --backup-dir is an error, not an empty list. */
async function openStore(dir: string): Promise<BackupStore> {
  const store = new BackupStore(dir);
  if (!(await store.exists()))
    throw new AtomicError('ENOENT', `no backup store at ${store.dir}: no such folder (check --backup-dir)`, {
      path: store.dir,
    });
  return store;
}

function listText(list: readonly Batch[], flags: ListFlags, dir: string): string {
  if (list.length === 0)
    return `no backups in ${dir}${flags.name !== undefined || flags.operation !== undefined ? ' match' : ''}`;
  const rows = list.map((b) => {
    const changes = changesOfBackup(b);
    return { cells: [b.id, shortTime(b.createdAt), b.operation, ...countsOf(changes), b.name ?? ''], changes };
  });
  return batchTable(['ID', 'TIME', 'OPERATION', 'CHANGED', 'CREATED', 'DELETED', 'NAME'], rows, flags);
}

function showText(b: Batch, flags: StoreFlags): string {
  const width = widthFor(flags);
  const changes = changesOfBackup(b);
  const head = fields(
    [
      ['backup', b.id],
      ['time', b.createdAt.toISOString()],
      ['name', b.name],
      ['operation', b.operation],
      ['undoes', b.restoreOf],
      ['transaction', b.transactionId],
      ['files', describeCounts(changes)],
    ],
    width,
  );
  return [...head, '', ...fileLines(changes, '  ')].join('\n');
}

function restoredText(r: Record<string, unknown>, flags: RestoreFlags): string {
  const list = (key: string): string[] => (Array.isArray(r[key]) ? (r[key] as string[]) : []);
  const put = list('restored');
  const removed = list('removed');
  const dirs = list('removedDirs');
  const parts = [
    `${plural(put.length, 'file')} put back`,
    ...(removed.length > 0 ? [`${plural(removed.length, 'file')} it had created removed`] : []),
    ...(dirs.length > 0 ? [`${plural(dirs.length, 'folder')} removed`] : []),
  ];
  const lines = [`restored backup ${String(r.id)}: ${parts.join(', ')}`];
  if (typeof r.backupId === 'string')
    lines.push(`this restore is kept as backup ${r.backupId}: restore that to undo it`);
  if (flags.files === true) lines.push(...fileLines({ changed: put, created: [], deleted: removed }, '  '));
  return lines.join('\n');
}

export function registerBackups(program: Command): void {
  const backups = program
    .command('backups')
    .description('list, show, restore, verify and prune the backups kept by --backup-dir')
    .addHelpText('after', '\nExample:\n  atomicfs backups list --backup-dir /var/backups/app');

  addListingFlags(
    storeCommand(
      backups,
      'list',
      'list the backups, newest first: one line per batch (id, time, operation, files changed/created/deleted, name)',
      'atomicfs backups list --backup-dir /var/backups/app --name nightly',
    ),
  )
    .option('--name <text>', 'only batches whose name contains this (any case)')
    .option('--operation <name>', 'only backups of this operation (transaction, restore, writeFile, …)')
    .action((flags: ListFlags) =>
      runCommand({ command: 'backups list', json: flags.json, failure: 'read', interrupts: 'abort' }, async () => {
        const store = await openStore(flags.backupDir);
        const list = await store.list({ name: flags.name, operation: flags.operation });
        return {
          data: { backupDir: flags.backupDir, backups: toJson(list) },
          text: listText(list, flags, flags.backupDir),
        };
      }),
    );

  addListingFlags(
    storeCommand(
      backups,
      'show <id>',
      'show one backup: its batch and every path it holds',
      'atomicfs backups show 20260101T120000000Z-1a2b3c4d --backup-dir /var/backups/app',
    ),
    false,
  ).action((id: string, flags: StoreFlags) =>
    runCommand({ command: 'backups show', json: flags.json, failure: 'read', interrupts: 'abort' }, async () => {
      const store = await openStore(flags.backupDir);
      await store.manifest(id); // a bad or unknown id: its own clear error
      const found = (await store.list()).find((b) => b.id === id);
      if (!found)
        throw new AtomicError('ECORRUPT', `backup ${id} in ${store.dir} cannot be listed`, { path: store.dir });
      return { data: { backupDir: flags.backupDir, backup: toJson(found) }, text: showText(found, flags) };
    }),
  );

  addListingFlags(
    storeCommand(
      backups,
      'restore <id>',
      "undo backup <id>'s batch, in one transaction: its files put back (checked against their SHA-256 sums first)",
      'atomicfs backups restore 20260101T120000000Z-1a2b3c4d --backup-dir /var/backups/app',
    ),
  )
    .option(
      '--root <dir>',
      "the transaction's root (default: the backup's root, else the folder holding all its files)",
    )
    .option(
      '--no-keep-current',
      'do not keep the versions the restore replaces and removes (by default they are kept in the same store, as a backup that undoes the restore)',
    )
    .option('--keep-current', 'the default, kept for old scripts')
    .option('--name <name>', "the restore's name (default: restore of <id>, and the batch's name)")
    .option('--audit <file>', 'record the restore in this audit log')
    .option('--timeout <ms>', "give up waiting for the files' locks after this many milliseconds", parseMs)
    .action((id: string, flags: RestoreFlags) =>
      runCommand(
        { command: 'backups restore', json: flags.json, failure: 'atomic', interrupts: 'abort' },
        async (ctx) => {
          const store = await openStore(flags.backupDir);
          const r = await store.restore(id, {
            root: flags.root,
            timeout: flags.timeout,
            signal: ctx.signal,
            name: flags.name,
            backup: flags.keepCurrent === false ? false : store,
            ...(flags.audit === undefined ? {} : { audit: new AuditLog(flags.audit) }),
          });
          const result = toJson(r) as Record<string, JsonValue>;
          return { data: { backupDir: flags.backupDir, ...result }, text: restoredText(result, flags) };
        },
      ),
    );

  storeCommand(
    backups,
    'verify <id>',
    'check every kept file of backup <id> against its size and SHA-256: status 1 if one is damaged',
    'atomicfs backups verify 20260101T120000000Z-1a2b3c4d --backup-dir /var/backups/app',
  ).action((id: string, flags: StoreFlags) =>
    runCommand({ command: 'backups verify', json: flags.json, failure: 'read', interrupts: 'abort' }, async () => {
      const r = await (await openStore(flags.backupDir)).verify(id);
      if (!r.ok) {
        const list = r.problems.map((p) => `${p.path}: ${p.problem}`).join('; ');
        throw new AtomicError('EINTEGRITY', `backup ${id} in ${flags.backupDir} is damaged: ${list}`, {
          path: r.problems[0]?.path ?? flags.backupDir,
        });
      }
      return {
        data: { backupDir: flags.backupDir, id, ok: true, problems: [] },
        text: `backup ${id}: every kept file is intact`,
      };
    }),
  );

  storeCommand(
    backups,
    'prune',
    'drop backups beyond --keep / older than --max-age-ms',
    'atomicfs backups prune --backup-dir /var/backups/app --keep 10',
  )
    .option('--keep <n>', 'keep at most this many backups (the newest)', parseCount)
    .option('--max-age-ms <ms>', 'drop backups older than this (never the newest)', parseMs)
    .action((flags: StoreFlags & { keep?: number; maxAgeMs?: number }) =>
      runCommand({ command: 'backups prune', json: flags.json, failure: 'steps', interrupts: 'abort' }, async () => {
        await openStore(flags.backupDir);
        const store = new BackupStore(flags.backupDir, { keep: flags.keep, maxAgeMs: flags.maxAgeMs });
        const { removed } = await store.prune();
        return {
          data: { backupDir: flags.backupDir, removed },
          text: `pruned ${flags.backupDir}: ${removed.length} backups removed`,
        };
      }),
    );
}
