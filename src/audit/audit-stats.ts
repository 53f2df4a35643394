/**
 * The numbers `AuditLog.summary()` gives per operation: how often it was rolled back or
 * failed, and how long it took (median and 95th percentile of the entries' durations).
 */
import type { AuditEntry } from './audit-line.js';

export interface OperationStats {
  entries: number;
  ok: number;
  rolledBack: number;
  failed: number;
  /** rolledBack / entries (0 to 1). */
  rollbackRate: number;
  /** Entries that carry a duration (older entries may not). */
  timed: number;
  /** Median duration in ms, over the timed entries (absent when none is timed). */
  p50Ms?: number | undefined;
  /** 95th percentile duration in ms (nearest rank), over the timed entries. */
  p95Ms?: number | undefined;
  maxMs?: number | undefined;
}

/** The nearest-rank percentile `p` (0 to 100) of `sorted` (ascending, non-empty). */
export function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

function statsOf(list: readonly AuditEntry[]): OperationStats {
  const count = (outcome: string): number => list.filter((e) => e.outcome === outcome).length;
  const durations = list.flatMap((e) => (typeof e.durationMs === 'number' ? [e.durationMs] : [])).sort((a, b) => a - b);
  const rolledBack = count('rolled-back');
  const s: OperationStats = {
    entries: list.length,
    ok: count('ok'),
    rolledBack,
    failed: count('failed'),
    rollbackRate: list.length === 0 ? 0 : rolledBack / list.length,
    timed: durations.length,
  };
  if (durations.length > 0) {
    s.p50Ms = percentile(durations, 50);
    s.p95Ms = percentile(durations, 95);
    s.maxMs = durations[durations.length - 1];
  }
  return s;
}

/** Stats per operation, operations in the order they first appear. */
export function operationStats(entries: readonly AuditEntry[]): Record<string, OperationStats> {
  const groups = new Map<string, AuditEntry[]>();
  for (const e of entries) {
    const g = groups.get(e.operation);
    if (g) g.push(e);
    else groups.set(e.operation, [e]);
  }
  return Object.fromEntries([...groups].map(([op, list]) => [op, statsOf(list)]));
}
