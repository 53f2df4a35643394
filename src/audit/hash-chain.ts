/**
 * Checking the chain of an audit log and saying what broke it. At the first line that
 * does not follow from the one before:
 * - it cannot be read as an audit line                        → 'malformed'
 * - its bytes do not match its own hash                        → 'edited'
 * - its seq appears twice in the file (a copied line)          → 'inserted'
 * - its prev is the hash of some other line in the file         → 'reordered'
 * - dropping it mends the chain to the end                     → 'inserted'
 * - its seq skips ahead and the skipped ones never appear      → 'removed'
 * - anything else (right seq, wrong prev: the line before it was rewritten) → 'edited'
 * Removing the LAST lines cannot be told from a log that ended there: compare `head`
 * (the last line's hash) with a copy kept elsewhere to catch that.
 */
import type { ParsedLine } from './audit-line.js';

export type BreakReason = 'malformed' | 'edited' | 'inserted' | 'removed' | 'reordered';

export interface ChainBreak {
  /** 1-based number of the line at fault (for a rewritten line: that line, not the next). */
  line: number;
  reason: BreakReason;
  message: string;
}

export interface ChainResult {
  entries: number;
  /** Hash of the last line: keep it elsewhere to detect later truncation. */
  head: string | undefined;
  broken: ChainBreak | undefined;
}

type Line = ParsedLine | undefined;

function follows(line: Line, prev: ParsedLine): boolean {
  return line !== undefined && line.selfOk && line.prev === prev.hash && line.seq === prev.seq + 1;
}

/** Whether the chain is whole from line i-1 to the end when line i is skipped. */
function restFollows(lines: Line[], i: number): boolean {
  if (i + 1 >= lines.length) return false;
  let p = lines[i - 1]!;
  for (let j = i + 1; j < lines.length; j++) {
    const l = lines[j];
    if (!l || !follows(l, p)) return false;
    p = l;
  }
  return true;
}

function diagnose(lines: Line[], i: number): ChainBreak {
  const at = i + 1;
  const line = lines[i];
  const prev = lines[i - 1]!;
  if (!line) return { line: at, reason: 'malformed', message: `line ${at} is not an atomicfs audit entry` };
  if (!line.selfOk)
    return { line: at, reason: 'edited', message: `line ${at} was edited: its content does not match its hash` };
  const expected = prev.seq + 1;
  const copies = lines.filter((l) => l?.seq === line.seq).length;
  if (copies > 1)
    return {
      line: at,
      reason: 'inserted',
      message: `line ${at} was inserted: entry ${line.seq} appears more than once`,
    };
  // Its prev names another line of the file: it is a genuine line in the wrong place.
  if (lines.some((l, j) => j !== i - 1 && l?.hash === line.prev)) {
    return { line: at, reason: 'reordered', message: `line ${at} (entry ${line.seq}) is out of order` };
  }
  if (restFollows(lines, i))
    return { line: at, reason: 'inserted', message: `line ${at} was inserted: the chain continues without it` };
  if (line.seq > expected)
    return {
      line: at,
      reason: 'removed',
      message: `entries ${expected}..${line.seq - 1} were removed before line ${at}`,
    };
  if (line.seq < expected)
    return { line: at, reason: 'reordered', message: `line ${at} is out of order: entry ${line.seq} belongs earlier` };
  return { line: at - 1, reason: 'edited', message: `line ${at - 1} was edited: line ${at} does not hold its hash` };
}

/** `lines[0]` must be the header (the caller checks that). */
export function checkChain(lines: Line[]): ChainResult {
  const first = lines[0];
  if (first !== undefined && !first.selfOk) {
    return {
      entries: lines.length - 1,
      head: undefined,
      broken: { line: 1, reason: 'edited', message: 'line 1 (the header) was edited' },
    };
  }
  for (let i = 1; i < lines.length; i++) {
    if (!follows(lines[i], lines[i - 1]!))
      return { entries: lines.length - 1, head: undefined, broken: diagnose(lines, i) };
  }
  return { entries: Math.max(0, lines.length - 1), head: lines[lines.length - 1]?.hash, broken: undefined };
}
