/**
 * The audit log's line format. Line 1 is a header that marks the file as an atomicfs
 * audit log; every later line is one entry. Each line is one JSON object ending with
 * `"prev"` (the previous line's hash) and `"hash"`: the SHA-256 of the line's own bytes
 * up to the hash field. So an edited line fails its own hash, and a removed, inserted or
 * reordered line breaks the chain of `prev` values (and the `seq` numbers tell which).
 */
import { sha256Hex } from '../base/sha256.js';
import type { AuditFile, AuditOutcome } from '../file/hooks.js';

export const LOG_KIND = 'atomicfs-audit-log';
export const LOG_VERSION = 1;

export interface AuditEntry {
  /** 1 for the first entry, +1 for each next one. */
  seq: number;
  /** ISO 8601, UTC. */
  time: string;
  operation: string;
  /** The batch's name, if it was given one. */
  name?: string | undefined;
  outcome: AuditOutcome;
  files: AuditFile[];
  /** Bytes written: the sizes of the files that exist after the change. */
  bytes: number;
  transactionId?: string | undefined;
  backupId?: string | undefined;
  error?: string | undefined;
  /** Milliseconds the operation took (absent in entries written before durations were kept). */
  durationMs?: number | undefined;
  pid: number;
  host: string;
}

export interface ParsedLine {
  seq: number;
  prev: string | null;
  hash: string;
  /** The entry (undefined for the header). */
  entry: AuditEntry | undefined;
  /** False when the line's own hash does not match its bytes. */
  selfOk: boolean;
}

const TAIL_RE = /,"hash":"([0-9a-f]{64})"\}$/;

/** Seals a JSON object text (without hash) into a line: appends `"prev"` and `"hash"`. */
function seal(body: Record<string, unknown>, prev: string | null): string {
  const text = JSON.stringify({ ...body, prev });
  return `${text.slice(0, -1)},"hash":"${sha256Hex(text)}"}`;
}

export function headerLine(now: Date, host: string): string {
  return seal({ kind: LOG_KIND, version: LOG_VERSION, seq: 0, created: now.toISOString(), host }, null);
}

export function entryLine(entry: AuditEntry, prev: string): string {
  const { seq, time, operation, name, outcome, files, bytes, transactionId, backupId, error, durationMs, pid, host } =
    entry;
  return seal(
    { seq, time, operation, name, outcome, files, bytes, transactionId, backupId, error, durationMs, pid, host },
    prev,
  );
}

function isEntry(o: Record<string, unknown>): boolean {
  return (
    typeof o.time === 'string' &&
    typeof o.operation === 'string' &&
    typeof o.outcome === 'string' &&
    Array.isArray(o.files) &&
    typeof o.bytes === 'number' &&
    typeof o.pid === 'number'
  );
}

/** Parses one line (without its newline); undefined if it is not an atomicfs audit line. */
export function parseLine(line: string): ParsedLine | undefined {
  const m = TAIL_RE.exec(line);
  if (!m) return undefined;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (o === null || typeof o !== 'object' || !Number.isSafeInteger(o.seq)) return undefined;
  if (!(o.prev === null || typeof o.prev === 'string')) return undefined;
  const header = o.kind === LOG_KIND && o.seq === 0;
  if (!header && !isEntry(o)) return undefined;
  const hash = m[1]!;
  const selfOk = sha256Hex(line.slice(0, m.index) + '}') === hash;
  const { prev: _p, hash: _h, ...rest } = o;
  return {
    seq: o.seq as number,
    prev: o.prev,
    hash,
    entry: header ? undefined : (rest as unknown as AuditEntry),
    selfOk,
  };
}

/** True if `line` is an atomicfs audit log header of a version this code reads. */
export function isHeader(parsed: ParsedLine | undefined): boolean {
  return parsed !== undefined && parsed.seq === 0 && parsed.entry === undefined;
}
