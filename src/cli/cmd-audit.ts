/** `audit show|verify|summary --audit FILE`: the library's AuditLog. */
import { Option, type Command } from 'commander';
import { AtomicError, AuditLog } from '../index.js';
import { toJson } from './json-value.js';
import { runCommand } from './run.js';
import { renderTable } from './table.js';
import { formatBytes, formatMs } from './units.js';
import { addJsonFlag } from './write-options.js';

interface AuditFlags {
  audit: string;
  json?: boolean;
  path?: string;
  since?: string;
  until?: string;
  outcome?: 'ok' | 'failed' | 'rolled-back';
  operation?: string;
}

type Entries = Awaited<ReturnType<AuditLog['entries']>>;
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
    .addOption(new Option('--outcome <outcome>', 'only entries with this outcome').choices(['ok', 'failed', 'rolled-back']))
    .option('--operation <name>', 'only entries of this operation (writeFile, transaction, …)');
}

function queryOf(flags: AuditFlags): Parameters<AuditLog['entries']>[0] {
  return { path: flags.path, since: flags.since, until: flags.until, outcome: flags.outcome, operation: flags.operation };
}

function entriesTable(entries: Entries): string {
  const rows = entries.map((e) => [String(e.seq), e.time, e.operation, e.outcome, e.files.map((f) => f.path).join(' ')]);
  return renderTable(['SEQ', 'TIME', 'OPERATION', 'OUTCOME', 'FILES'], rows);
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)}%`;
}

/** One row per operation: outcomes, rollback rate, p50/p95 durations. */
function operationsTable(s: Summary): string {
  const rows = Object.entries(s.operations).map(([op, o]) => [
    op, String(o.entries), String(o.ok), String(o.rolledBack), String(o.failed), percent(o.rollbackRate), formatMs(o.p50Ms), formatMs(o.p95Ms),
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
    renderTable(['OUTCOME', 'ENTRIES'], Object.entries(s.byOutcome).map(([k, n]) => [k, String(n)])),
  ].join('\n');
}

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('show, verify and summarise an audit log kept with --audit')
    .addHelpText('after', '\nExample:\n  atomicfs audit verify --audit /var/log/app/audit.jsonl');

  addQueryFlags(auditCommand(audit, 'show', 'print the entries, oldest first', 'atomicfs audit show --audit audit.jsonl --outcome failed')).action(
    (flags: AuditFlags) =>
      runCommand({ command: 'audit show', json: flags.json, failure: 'read', interrupts: 'abort' }, async () => {
        const entries = await new AuditLog(flags.audit).entries(queryOf(flags));
        const text = entries.length === 0 ? `no entries in ${flags.audit}` : entriesTable(entries);
        return { data: { audit: flags.audit, entries: toJson(entries) }, text };
      }),
  );

  auditCommand(audit, 'verify', 'check the hash chain: status 1 if an entry was edited, removed or reordered', 'atomicfs audit verify --audit audit.jsonl').action(
    (flags: AuditFlags) =>
      runCommand({ command: 'audit verify', json: flags.json, failure: 'read', interrupts: 'abort' }, async () => {
        const result = await new AuditLog(flags.audit).verify();
        if (!result.ok) {
          const where = result.brokenAt === undefined ? '' : ` at line ${result.brokenAt}`;
          throw new AtomicError('EINTEGRITY', `${flags.audit}: the hash chain is broken${where}: ${result.message ?? result.reason ?? ''}`, { path: flags.audit });
        }
        return { data: { audit: flags.audit, entries: result.entries, head: result.head ?? null }, text: `${flags.audit}: ${result.entries} entries, hash chain intact` };
      }),
  );

  addQueryFlags(auditCommand(audit, 'summary', 'count the entries per operation and outcome: rollback rate, p50/p95 durations', 'atomicfs audit summary --audit audit.jsonl --since 2026-01-01')).action(
    (flags: AuditFlags) =>
      runCommand({ command: 'audit summary', json: flags.json, failure: 'read', interrupts: 'abort' }, async () => {
        const summary = await new AuditLog(flags.audit).summary(queryOf(flags));
        return { data: { audit: flags.audit, summary: toJson(summary) }, text: summaryText(summary) };
      }),
  );
}
