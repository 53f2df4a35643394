/**
 * Metrics and tracing: every public call publishes on a `node:diagnostics_channel`
 * TracingChannel named `atomicfs:<operation>` (so the channels are
 * `tracing:atomicfs:<operation>:start|end|asyncStart|asyncEnd|error`), Node's convention
 * for libraries (undici, fastify). The wrapping happens once, at the public entry
 * (index.ts), so the core knows nothing of it. With no subscriber a call costs one
 * `hasSubscribers` check: no context object, no clock read.
 *
 * The same wrapper puts the call's duration on its audit record, so the audit summary can
 * report timings per operation: a record made while the call runs gets `durationMs`, the
 * time from the call's start (see AuditClock) to the record.
 */
import { tracingChannel, type TracingChannel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';

/** The message every event of one call carries (the same object from start to end). */
export interface TraceContext {
  /** The public call: 'writeFile', 'transaction' (a commit), 'restore', … */
  operation: string;
  /** The file (or the source of a copy or move), as the caller gave it. */
  path?: string | undefined;
  /** The destination of a copy or move. */
  dest?: string | undefined;
  /** The root of a transaction, guard or recovery. */
  root?: string | undefined;
  /** The batch's name, when one was given. */
  name?: string | undefined;
  /** A backup id (restore). */
  id?: string | undefined;
  /** The transaction's id (a commit). */
  transactionId?: string | undefined;
  /** `performance.now()` when the call started. */
  startTime: number;
  /** Milliseconds from start to outcome; set before `asyncEnd` and `error` are published. */
  durationMs?: number | undefined;
  /** Set by Node: the resolved value (on `asyncStart`/`asyncEnd`). */
  result?: unknown;
  /** Set by Node: what the call threw or rejected with (on `error`, then `asyncStart`/`asyncEnd`). */
  error?: unknown;
}

export const CHANNEL_PREFIX = 'atomicfs:';

type AnyAsync = (...args: never[]) => Promise<unknown>;
/** A synchronous call: four parameters at most (see tracedSync). */
type AnySync = (a: never, b: never, c: never, d: never) => unknown;

/** What a call's arguments say about it, for the trace message. */
export type Describe = (args: readonly unknown[]) => Omit<TraceContext, 'operation' | 'startTime'>;

export interface TraceSpec {
  operation: string;
  describe?: Describe | undefined;
  /** Index of the options argument whose `audit` hook gets the call's duration. */
  optionsAt?: number | undefined;
}

const channels = new Map<string, TracingChannel<unknown, TraceContext>>();

/** The TracingChannel of `operation` (one per name, made once). */
export function channelOf(operation: string): TracingChannel<unknown, TraceContext> {
  let ch = channels.get(operation);
  if (!ch) {
    ch = tracingChannel<unknown, TraceContext>(CHANNEL_PREFIX + operation);
    channels.set(operation, ch);
  }
  return ch;
}

function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** When the audited work started; a transaction moves it to the start of its commit. */
export interface AuditClock {
  start: number;
}

interface RecordHook {
  record(entry: object): Promise<void>;
  recordSync?(entry: object): void;
}

function isHook(v: unknown): v is RecordHook {
  return typeof v === 'object' && v !== null && typeof (v as { record?: unknown }).record === 'function';
}

/** The audit hook in `opts`, if it has one the call will use. */
function auditHookOf(opts: unknown): RecordHook | undefined {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) return undefined;
  const audit = (opts as { audit?: unknown }).audit;
  return isHook(audit) ? audit : undefined;
}

/**
 * `opts` with its `audit` hook wrapped so that each record carries `durationMs` from
 * `clock`. Anything else (no options, no hook, something the call will refuse) is
 * passed on unchanged, so the call's own checks still see it.
 */
export function withAuditClock<T>(opts: T, clock: AuditClock): T {
  const audit = auditHookOf(opts);
  if (!audit) return opts;
  const timing = (entry: object): object => ({ ...entry, durationMs: roundMs(performance.now() - clock.start) });
  const timed: RecordHook = { record: (entry) => audit.record(timing(entry)) };
  if (audit.recordSync) timed.recordSync = (entry) => audit.recordSync?.(timing(entry));
  return { ...opts, audit: timed };
}

/** Runs `run`, setting the context's duration before Node publishes the outcome. */
async function timedRun<R>(ctx: TraceContext, run: () => Promise<R>): Promise<R> {
  try {
    return await run();
  } finally {
    ctx.durationMs = roundMs(performance.now() - ctx.startTime);
  }
}

/** Runs `run` as one traced call of `spec` (only when someone listens). */
export function traceCall<R>(
  spec: TraceSpec,
  args: readonly unknown[],
  run: () => Promise<R>,
  startTime?: number,
): Promise<R> {
  const ch = channelOf(spec.operation);
  if (!ch.hasSubscribers) return run();
  const ctx: TraceContext = {
    operation: spec.operation,
    ...spec.describe?.(args),
    startTime: startTime ?? performance.now(),
  };
  return ch.tracePromise(() => timedRun(ctx, run), ctx);
}

/**
 * Runs `run(args)` as one call of `spec`: its options' audit hook timed, and traced when
 * someone listens. Neither asked for, it is a plain call.
 */
export function runTraced<R>(spec: TraceSpec, args: unknown[], run: (args: unknown[]) => Promise<R>): Promise<R> {
  const at = spec.optionsAt;
  const audited = at !== undefined && auditHookOf(args[at]) !== undefined;
  if (!audited && !channelOf(spec.operation).hasSubscribers) return run(args);
  const start = performance.now();
  if (audited) args[at] = withAuditClock(args[at], { start });
  return traceCall(spec, args, () => run(args), start);
}

/**
 * `fn`, traced as `spec.operation`, its audit records timed. The type is `fn`'s own, so
 * overloads and generics are kept.
 */
export function traced<F extends AnyAsync>(spec: TraceSpec, fn: F): F {
  const call = fn as unknown as (...a: unknown[]) => Promise<unknown>;
  const wrapper = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    return runTraced(spec, args, (a) => call.apply(this, a));
  };
  Object.defineProperty(wrapper, 'name', { value: fn.name });
  return wrapper as unknown as F;
}

/**
 * The synchronous twin of `traced`: `fn` traced with `traceSync` on its own channel
 * (`atomicfs:writeFileSync`…). Its arguments are passed on as four parameters rather than
 * gathered into an array: no synchronous call takes more (AnySync), and a call that nobody
 * traces or audits then makes no array.
 */
export function tracedSync<F extends AnySync>(spec: TraceSpec, fn: F): F {
  const call = fn as unknown as (a: unknown, b: unknown, c: unknown, d: unknown) => unknown;
  const ch = channelOf(spec.operation);
  const at = spec.optionsAt;
  const wrapper = function (this: unknown, a?: unknown, b?: unknown, c?: unknown, d?: unknown): unknown {
    const opts = at === undefined ? undefined : at === 0 ? a : at === 1 ? b : at === 2 ? c : d;
    const audited = at !== undefined && auditHookOf(opts) !== undefined;
    if (!audited && !ch.hasSubscribers) return call.call(this, a, b, c, d);
    const args = [a, b, c, d];
    const startTime = performance.now();
    if (audited) args[at] = withAuditClock(opts, { start: startTime });
    const run = (): unknown => call.call(this, args[0], args[1], args[2], args[3]);
    if (!ch.hasSubscribers) return run();
    const ctx: TraceContext = { operation: spec.operation, ...spec.describe?.(args), startTime };
    return ch.traceSync(() => {
      try {
        return run();
      } finally {
        ctx.durationMs = roundMs(performance.now() - startTime);
      }
    }, ctx);
  };
  Object.defineProperty(wrapper, 'name', { value: fn.name });
  return wrapper as unknown as F;
}

interface Committable {
  readonly id: string;
  commit(): Promise<unknown>;
  commitSync?(): unknown;
}

/** `run` as one synchronous traced call of `spec` (only when someone listens): traceCall's twin. */
function traceSyncCall<R>(spec: TraceSpec, args: readonly unknown[], run: () => R, startTime: number): R {
  const ch = channelOf(spec.operation);
  if (!ch.hasSubscribers) return run();
  const ctx: TraceContext = { operation: spec.operation, ...spec.describe?.(args), startTime };
  return ch.traceSync(() => {
    try {
      return run();
    } finally {
      ctx.durationMs = roundMs(performance.now() - startTime);
    }
  }, ctx);
}

/**
 * `open` (transaction()), its transactions' commits traced as `operation`, and their
 * commitSync() as `<operation>Sync` (as writeFileSync is beside writeFile). The audit
 * clock restarts when the commit starts: a transaction's duration is its commit's, not
 * the time the caller spent staging.
 */
export function tracedOpen<O, T extends Committable>(
  spec: TraceSpec,
  open: (opts: O) => Promise<T>,
): (opts: O) => Promise<T> {
  const ch = channelOf(spec.operation);
  return async (opts: O): Promise<T> => {
    const audited = auditHookOf(opts) !== undefined;
    // Records made before the commit (the recovery transaction() runs first) count from here.
    const clock: AuditClock = { start: audited ? performance.now() : 0 };
    const tx = await open(withAuditClock(opts, clock));
    const commit = tx.commit.bind(tx);
    const tracedCommit = (): Promise<unknown> => {
      if (!audited && !ch.hasSubscribers) return commit();
      clock.start = performance.now();
      return traceCall(spec, [opts, tx.id], commit, clock.start);
    };
    Object.defineProperty(tx, 'commit', { value: tracedCommit, configurable: true, writable: true });
    const commitSync = tx.commitSync?.bind(tx);
    if (commitSync) {
      const syncSpec: TraceSpec = { ...spec, operation: `${spec.operation}Sync` };
      const syncCh = channelOf(syncSpec.operation);
      const tracedCommitSync = (): unknown => {
        if (!audited && !syncCh.hasSubscribers) return commitSync();
        clock.start = performance.now();
        return traceSyncCall(syncSpec, [opts, tx.id], commitSync, clock.start);
      };
      Object.defineProperty(tx, 'commitSync', { value: tracedCommitSync, configurable: true, writable: true });
    }
    return tx;
  };
}

/** Helpers for `describe`: a string argument, or a string field of an options argument. */
export function argText(args: readonly unknown[], i: number): string | undefined {
  const v = args[i];
  return typeof v === 'string' ? v : v instanceof URL ? v.href : undefined;
}

export function optText(args: readonly unknown[], i: number, key: string): string | undefined {
  const o = args[i];
  if (typeof o !== 'object' || o === null) return undefined;
  const v = (o as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}
