/**
 * AuditLog: a hash-chained, append-only record of changes (one JSON line per change).
 * An append takes the log's cross-process lock, reads the last line (for its seq and
 * hash), appends the new line and syncs it: lines from several processes never
 * interleave, and none is lost. Hooked into writes and transactions via their `audit`
 * option (AuditHook).
 */
import { checkOptions } from '../base/options-check.js';
import { pathArg, type PathLike } from '../file/check-path.js';
import { dirname, resolve, sep } from 'node:path';
import { pathKey, type Disk, type DiskFile } from '../disk/index.js';
import { AtomicError, errorCode, fsError, invalidArg } from '../base/errors.js';
import { KeyLines } from '../base/key-lines.js';
import type { AuditHook, AuditOutcome, AuditRecord } from '../file/hooks.js';
import { lockAs, releasing as releaseLog, type HeldLock } from '../lock/lock.js';
import { HOST } from '../file/process-alive.js';
import { syncDirectory } from '../file/dir-sync.js';
import { diskOf } from '../file/options.js';
import { tempPathFor } from '../file/temp-name.js';
import { entryLine, headerLine, isHeader, parseLine, type AuditEntry, type ParsedLine } from './audit-line.js';
import { operationStats, type OperationStats } from './audit-stats.js';
import { checkChain, type BreakReason } from './hash-chain.js';
import { firstLine, lastGoodLine, linesOf } from './log-file.js';
import { nameMatcher } from '../base/name-match.js';
import { call, runAsync, runSync, type Dual } from '../disk/dual.js';
import * as io from '../disk/io.js';

export type { AuditEntry } from './audit-line.js';
export type { OperationStats } from './audit-stats.js';

export interface AuditLogOptions {
  disk?: Disk | undefined;
  /** Lock wait bound for an append, in ms (default: wait until acquired). */
  timeout?: number | undefined;
}

export interface AuditQuery {
  /** Entries touching this file, or any file under this folder (a path or a file: URL). */
  path?: PathLike | undefined;
  since?: Date | number | string | undefined;
  until?: Date | number | string | undefined;
  outcome?: AuditOutcome | undefined;
  operation?: string | undefined;
  /** Entries of batches whose name contains this text (any case), or matches this pattern. */
  name?: string | RegExp | undefined;
}

export interface AuditVerifyResult {
  ok: boolean;
  /** Number of entries (lines after the header). */
  entries: number;
  /** 1-based line number of the first line that does not fit. */
  brokenAt?: number | undefined;
  reason?: BreakReason | undefined;
  message?: string | undefined;
  /** Hash of the last line, when the chain is whole. */
  head?: string | undefined;
}

export interface AuditSummary {
  entries: number;
  byOperation: Record<string, number>;
  byOutcome: Record<string, number>;
  bytesWritten: number;
  /** The entries whose outcome is not 'ok', oldest first. */
  failures: AuditEntry[];
  first?: string | undefined;
  last?: string | undefined;
  /** Share of the entries that were rolled back (0 to 1). */
  rollbackRate: number;
  /** Per operation: outcomes, rollback rate, and p50/p95 durations. */
  operations: Record<string, OperationStats>;
}

/** The log's cross-process lock, as a step of the protocol. */
function lockLog(disk: Disk, file: string, timeout: number | undefined): Dual<HeldLock> {
  return lockAs(file, { disk, timeout }, undefined);
}

// Appends of this process to one log, in order (the file lock serialises processes).
const appends = new KeyLines();

function timeOf(v: Date | number | string, name: string, file: string): number {
  const t = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(t)) throw invalidArg('audit entries', file, `${name} is not a valid time: ${String(v)}`);
  return t;
}

/** Whether `entry` changed `path` or a file under it; `key` spells paths as the disk compares them. */
function touches(entry: AuditEntry, path: string, key: (p: string) => string): boolean {
  const p = key(path);
  const folder = p.endsWith(sep) ? p : p + sep;
  return entry.files.some((f) => key(f.path) === p || key(f.path).startsWith(folder));
}

export class AuditLog implements AuditHook {
  readonly file: string;

  constructor(
    given: PathLike,
    private readonly options: AuditLogOptions = {},
  ) {
    const file = pathArg('AuditLog', given, 'file');
    checkOptions('AuditLog', 'AuditLog', file, options);
    this.file = resolve(file);
  }

  private get disk(): Disk {
    return diskOf(this.options);
  }

  private notOurs(detail: string): AtomicError {
    return new AtomicError('ENOTAUDITLOG', `${this.file}: not an atomicfs audit log (${detail})`, { path: this.file });
  }

  /** Appends one entry durably (AuditHook). */
  record(record: AuditRecord): Promise<void> {
    return runAsync(this.recording(record));
  }

  /** record, synchronously (the same protocol, dual.ts): what the synchronous calls use. */
  recordSync(record: AuditRecord): void {
    runSync(this.recording(record));
  }

  private *recording(record: AuditRecord): Dual<void> {
    // Taken at the call: this process's appends to one log go in call order.
    const place = appends.take(this.file);
    try {
      if (!place.first)
        yield* call(
          () => this.refusePending(),
          () => place.turn,
        );
      yield* this.append(record);
    } finally {
      place.done();
    }
  }

  /** A synchronous append cannot wait for this process's asynchronous ones (nothing runs while it blocks). */
  private refusePending(): never {
    throw new AtomicError(
      'EPENDING',
      `${this.file}: an asynchronous append to this audit log from this process is still in flight; a synchronous call cannot wait for it`,
      { path: this.file },
    );
  }

  private *append(record: AuditRecord): Dual<void> {
    const held = yield* lockLog(this.disk, this.file, this.options.timeout);
    try {
      yield* this.appendLocked(record);
    } catch (err) {
      throw fsError(err, 'audit', this.file);
    } finally {
      yield* releaseLog(held);
    }
  }

  private *appendLocked(record: AuditRecord): Dual<void> {
    let file: DiskFile;
    try {
      file = yield* io.open(this.disk, this.file, 'r+');
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
      return yield* this.create(record);
    }
    try {
      const { size } = yield* io.fstat(file);
      let at = 0;
      let text = '';
      let prev: ParsedLine | undefined;
      if (size === 0) {
        // An empty file (made by someone else): it becomes a log.
        text = headerLine(new Date(), HOST) + '\n';
        prev = parseLine(text.slice(0, -1));
      } else {
        if (!isHeader(parseLine(yield* firstLine(file))))
          throw this.notOurs('its first line is not an audit log header');
        const last = yield* lastGoodLine(file, size, (t) => parseLine(t) !== undefined);
        if (!last)
          throw new AtomicError('ECORRUPT', `${this.file}: no audit line found; run verify()`, { path: this.file });
        // Bytes after the last audit line are an append cut short by a crash: its writer
        // was never told it succeeded, so they are cut off before the chain goes on.
        if (last.end < size) yield* io.ftruncate(file, last.end);
        at = last.end;
        prev = parseLine(last.text);
      }
      text += entryLine(this.entryOf(record, prev!.seq + 1), prev!.hash) + '\n';
      // Whole lines in one write at the end (positioned: the file is open read-write so
      // that a torn tail could be cut off first).
      yield* io.write(file, Buffer.from(text), at);
      // The entry must survive a power cut once record() resolves.
      yield* io.fsync(file);
    } finally {
      yield* io.close(file);
    }
  }

  /**
   * A new log: header and first entry written to a temporary file, synced, then linked
   * into place, so that no crash can leave a log with a torn header (which would no
   * longer be recognised as ours).
   */
  private *create(record: AuditRecord): Dual<void> {
    const disk = this.disk;
    const header = headerLine(new Date(), HOST);
    const text = `${header}\n${entryLine(this.entryOf(record, 1), parseLine(header)!.hash)}\n`;
    const temp = tempPathFor(this.file);
    const file = yield* io.open(disk, temp, 'wx', 0o644);
    try {
      try {
        yield* io.write(file, Buffer.from(text));
        // Complete on disk before the link makes it the log.
        yield* io.fsync(file);
      } finally {
        yield* io.close(file);
      }
      yield* io.link(disk, temp, this.file);
    } catch (err) {
      // Made meanwhile by a writer that does not take the lock: append to it instead.
      if (errorCode(err) === 'EEXIST') return yield* this.appendLocked(record);
      throw err;
    } finally {
      try {
        yield* io.unlink(disk, temp);
      } catch {
        // Only a name left behind; cleanupTemps removes it.
      }
    }
    // The new log's directory entry (and the temporary's removal) must be durable too.
    yield* syncDirectory(disk, dirname(this.file));
  }

  private entryOf(r: AuditRecord, seq: number): AuditEntry {
    const files = r.files.map((f) => ({ path: f.path, before: f.before, after: f.after, size: f.size }));
    const bytes = r.outcome === 'ok' ? files.reduce((n, f) => n + (f.after === null ? 0 : f.size), 0) : 0;
    return {
      seq,
      time: new Date().toISOString(),
      operation: r.operation,
      name: r.name,
      outcome: r.outcome,
      files,
      bytes,
      transactionId: r.transactionId,
      backupId: r.backupId,
      error: r.error,
      durationMs:
        typeof r.durationMs === 'number' && Number.isFinite(r.durationMs) && r.durationMs >= 0
          ? r.durationMs
          : undefined,
      pid: process.pid,
      host: HOST,
    };
  }

  /** Every line parsed (undefined for lines that are not audit lines); checks the header. */
  private async readAll(): Promise<(ParsedLine | undefined)[]> {
    const lines: (ParsedLine | undefined)[] = [];
    try {
      for await (const raw of linesOf(this.disk, this.file)) {
        const parsed = parseLine(raw.text);
        if (raw.number === 1 && !isHeader(parsed) && parsed?.entry === undefined)
          throw this.notOurs('its first line is not an audit log header');
        lines.push(parsed);
      }
    } catch (err) {
      throw fsError(err, 'audit', this.file);
    }
    return lines;
  }

  /** Checks the hash chain; says at which line and how it is broken. */
  async verify(): Promise<AuditVerifyResult> {
    const lines = await this.readAll();
    if (lines.length === 0) return { ok: true, entries: 0 };
    if (!isHeader(lines[0])) {
      return {
        ok: false,
        entries: lines.length,
        brokenAt: 1,
        reason: 'removed',
        message: 'line 1: the header was removed',
      };
    }
    const { entries, head, broken } = checkChain(lines);
    if (!broken) return { ok: true, entries, head };
    return { ok: false, entries, brokenAt: broken.line, reason: broken.reason, message: broken.message };
  }

  /** Entries matching `query`, oldest first. Lines that are not audit entries are skipped. */
  async entries(query: AuditQuery = {}): Promise<AuditEntry[]> {
    checkOptions('AuditLog.entries', 'audit entries', this.file, query);
    const since = query.since === undefined ? -Infinity : timeOf(query.since, 'since', this.file);
    const until = query.until === undefined ? Infinity : timeOf(query.until, 'until', this.file);
    const path = query.path === undefined ? undefined : resolve(pathArg('audit entries', query.path, 'path', false));
    const caps = this.disk.capabilities;
    const key = (p: string): string => pathKey(caps, p);
    const named = nameMatcher(query.name, 'audit entries', this.file);
    const out: AuditEntry[] = [];
    for (const line of await this.readAll()) {
      const e = line?.entry;
      if (!e) continue;
      const t = Date.parse(e.time);
      if (t < since || t > until) continue;
      if (query.outcome !== undefined && e.outcome !== query.outcome) continue;
      if (query.operation !== undefined && e.operation !== query.operation) continue;
      if (named && !named(e.name)) continue;
      if (path !== undefined && !touches(e, path, key)) continue;
      out.push(e);
    }
    return out;
  }

  /** Counts by operation and outcome, bytes written, the failures, rollback rates and durations. */
  async summary(query: AuditQuery = {}): Promise<AuditSummary> {
    checkOptions('AuditLog.summary', 'audit summary', this.file, query);
    const entries = await this.entries(query);
    const s: AuditSummary = {
      entries: 0,
      byOperation: {},
      byOutcome: {},
      bytesWritten: 0,
      failures: [],
      rollbackRate: 0,
      operations: operationStats(entries),
    };
    for (const e of entries) {
      s.entries++;
      s.byOperation[e.operation] = (s.byOperation[e.operation] ?? 0) + 1;
      s.byOutcome[e.outcome] = (s.byOutcome[e.outcome] ?? 0) + 1;
      s.bytesWritten += e.bytes;
      if (e.outcome !== 'ok') s.failures.push(e);
      s.first ??= e.time;
      s.last = e.time;
    }
    s.rollbackRate = s.entries === 0 ? 0 : (s.byOutcome['rolled-back'] ?? 0) / s.entries;
    return s;
  }
}
