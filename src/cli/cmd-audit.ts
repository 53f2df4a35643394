/** `audit show|verify|summary --audit FILE`: the library's AuditLog. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { AtomicError, AuditLog } from '../index.js';
import { toJson } from './json-value.js';
import { runCommand } from './run.js';
import {
  addListingFlags,
  batchTable,
  countsOf,
  describeCounts,
  fields,
  fileLines,
  shortTime,
  widthFor,
  type Changes,
  type ListingFlags,
} from './listing.js';
import { renderTable } from './table.js';
import { formatBytes, formatMs } from './units.js';
import { addJsonFlag } from './write-options.js';

interface AuditFlags {
  audit: string;
  name?: string;
  json?: boolean;
  path?: string;
  since?: string;
  until?: string;
  outcome?: 'ok' | 'failed' | 'rolled-back';
  operation?: string;
}

type Entries = Awaited<ReturnType<AuditLog['entries']>>;
type ShowFlags = AuditFlags & ListingFlags;
type Summary = Awaited<ReturnType<AuditLog['summary']>>;

function auditCommand(parent: Command, name: string, description: string, example: string): Command {
  const cmd = parent
    .command(name)
    .description(description)
    .requiredOption('--audit <file>', 'the audit log')
    .addHelpText('after', `\nExample:\n  ${example}`);
  return addJsonFlag(cmd);
}

/** The AuditLog's query, as options. */
function addQueryFlags(cmd: Command): Command {
  return cmd
    .option('--path <path>', 'only entries touching this file, or files under this folder')
    .option('--since <time>', 'only entries at or after this time (ISO 8601)')
    .option('--until <time>', 'only entries at or before this time (ISO 8601)')
    .addOption(
      new Option('--outcome <outcome>', 'only entries with this outcome').choices(['ok', 'failed', 'rolled-back']),
    )
    .option('--operation <name>', 'only entries of this operation (writeFile, transaction, …)')
    .option('--name <text>', 'only entries of batches whose name contains this (any case)');
}

function queryOf(flags: AuditFlags): Parameters<AuditLog['entries']>[0] {
  return {
    path: flags.path,
    since: flags.since,
    until: flags.until,
    outcome: flags.outcome,
    operation: flags.operation,
    name: flags.name,
  };
}

type Entry = Entries[number];

/**
 * An entry's files: created (no hash before), deleted (none after), else changed. An entry
 * that is not ok changed nothing, and its hashes cannot say what it meant to do: its files
 * are all counted as changed (touched).
 */
export function changesOfEntry(e: Entry): Changes {
  const c: Changes = { changed: [], created: [], deleted: [] };
  for (const f of e.files) {
    const list =
      e.outcome !== 'ok' ? c.changed : f.after === null ? c.deleted : f.before === null ? c.created : c.changed;
    list.push(f.path);
  }
  return c;
}

function entriesText(entries: readonly Entry[], flags: ShowFlags): string {
  const rows = entries.map((e) => {
    const changes = changesOfEntry(e);
    return {
      cells: [
        String(e.seq),
        shortTime(e.time),
        e.operation,
        e.outcome,
        ...countsOf(changes),
        formatMs(e.durationMs),
        e.name ?? '',
      ],
      changes,
    };
  });
  return batchTable(
    ['SEQ', 'TIME', 'OPERATION', 'OUTCOME', 'CHANGED', 'CREATED', 'DELETED', 'DURATION', 'NAME'],
    rows,
    flags,
  );
}

function entryText(e: Entry, flags: ShowFlags): string {
  const changes = changesOfEntry(e);
  const head = fields(
    [
      ['entry', String(e.seq)],
      ['time', e.time],
      ['name', e.name],
      ['operation', e.operation],
      ['outcome', e.outcome],
      ['error', e.error],
      ['duration', e.durationMs === undefined ? undefined : formatMs(e.durationMs)],
      ['transaction', e.transactionId],
      ['backup', e.backupId],
      ['by', `pid ${e.pid} on ${e.host}`],
      ['files', describeCounts(changes)],
    ],
    widthFor(flags),
  );
  return [...head, '', ...fileLines(changes, '  ')].join('\n');
}

function parseSeq(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected an entry number (SEQ, from 1), got "${text}"`);
  return n;
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)}%`;
}

/** One row per operation: outcomes, rollback rate, p50/p95 durations. */
function operationsTable(s: Summary): string {
  const rows = Object.entries(s.operations).map(([op, o]) => [
    op,
    String(o.entries),
    String(o.ok),
    String(o.rolledBack),
    String(o.failed),
    percent(o.rollbackRate),
    formatMs(o.p50Ms),
    formatMs(o.p95Ms),
  ]);
  return renderTable(['OPERATION', 'ENTRIES', 'OK', 'ROLLED-BACK', 'FAILED', 'ROLLBACK%', 'P50', 'P95'], rows);
}

function summaryText(s: Summary): string {
  const span = s.first === undefined ? '' : `, ${s.first} to ${s.last ?? s.first}`;
  return [
    `${s.entries} entries${span}; ${formatBytes(s.bytesWritten)} written; ${s.failures.length} not ok; ${percent(s.rollbackRate)} rolled back`,
    '',
    operationsTable(s),
    '',
    renderTable(
      ['OUTCOME', 'ENTRIES'],
      Object.entries(s.byOutcome).map(([k, n]) => [k, String(n)]),
    ),
  ].join('\n');
}

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('show, verify and summarise an audit log kept with --audit')
    .addHelpText('after', '\nExample:\n  atomicfs audit verify --audit /var/log/app/audit.jsonl');

  addListingFlags(
    addQueryFlags(
      auditCommand(
        audit,
        'show',
        'print the entries, oldest first, one line each; with <seq>, that entry and its paths',
        'atomicfs audit show --audit audit.jsonl --outcome failed',
      ),
    ),
  )
    .argument('[seq]', 'show this entry (its SEQ) with every path it touched', parseSeq)
    .action((seq: number | undefined, flags: ShowFlags) =>
      runCommand({ command: 'audit show', json: flags.json, failure: 'read', interrupts: 'abort' }, async () => {
        const log = new AuditLog(flags.audit);
        if (seq !== undefined) {
          const entry = (await log.entries()).find((e) => e.seq === seq);
          if (!entry) throw new AtomicError('ENOENT', `${log.file}: no entry ${seq}`, { path: log.file });
          return { data: { audit: flags.audit, entry: toJson(entry) }, text: entryText(entry, flags) };
        }
        const entries = await log.entries(queryOf(flags));
        const text = entries.length === 0 ? `no entries in ${flags.audit} match` : entriesText(entries, flags);
        return { data: { audit: flags.audit, entries: toJson(entries) }, text };
      }),
    );

  auditCommand(
    audit,
    'verify',
    'check the hash chain: status 1 if an entry was edited, removed or reordered',
    'atomicfs audit verify --audit audit.jsonl',
  ).action((flags: AuditFlags) =>
    runCommand({ command: 'audit verify', json: flags.json, failure: 'read', interrupts: 'abort' }, async () => {
      const result = await new AuditLog(flags.audit).verify();
      if (!result.ok) {
        const where = result.brokenAt === undefined ? '' : ` at line ${result.brokenAt}`;
        throw new AtomicError(
          'EINTEGRITY',
          `${flags.audit}: the hash chain is broken${where}: ${result.message ?? result.reason ?? ''}`,
          { path: flags.audit },
        );
      }
      return {
        data: { audit: flags.audit, entries: result.entries, head: result.head ?? null },
        text: `${flags.audit}: ${result.entries} entries, hash chain intact`,
      };
    }),
  );

  addQueryFlags(
    auditCommand(
      audit,
      'summary',
      'count the entries per operation and outcome: rollback rate, p50/p95 durations',
      'atomicfs audit summary --audit audit.jsonl --since 2026-01-01',
    ),
  ).action((flags: AuditFlags) =>
    runCommand({ command: 'audit summary', json: flags.json, failure: 'read', interrupts: 'abort' }, async () => {
      const summary = await new AuditLog(flags.audit).summary(queryOf(flags));
      return { data: { audit: flags.audit, summary: toJson(summary) }, text: summaryText(summary) };
    }),
  );
}
