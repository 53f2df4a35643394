/**
 * The frame around every subcommand's action: sets up --json output and interrupt
 * handling, runs the action, prints its result or its error, and sets the exit status.
 */
import { constants } from 'node:os';
import { TransactionError } from '../index.js';
import { EXIT, exitForSignal } from './exit-codes.js';
import { Output, type CommandResult, type ErrorReport } from './output.js';

export interface RunContext {
  /** Fires on SIGINT/SIGTERM (interrupt mode 'abort'); pass it to the library. */
  signal: AbortSignal;
  /** Registers work to do at once on an interrupt (say, end a stream being read). */
  onInterrupt(fn: () => void): void;
}

export interface RunSpec {
  command: string;
  json: boolean | undefined;
  /**
   * What a failure leaves behind, said to the user: 'atomic' (the library left every file
   * as it was), 'steps' (done step by step; a failure may leave earlier steps done), or
   * 'read' (the command changes nothing).
   */
  failure: 'atomic' | 'steps' | 'read';
  /**
   * 'abort': SIGINT/SIGTERM abort the work through `signal` (the library then removes
   * what it started) and the command exits 128+n. 'none': the action installs its own
   * handling (apply turns on the library's handleSignals; lock waits for its child).
   */
  interrupts: 'abort' | 'none';
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

export async function runCommand(spec: RunSpec, body: (ctx: RunContext) => Promise<CommandResult>): Promise<void> {
  const out = new Output(spec.json === true);
  const controller = new AbortController();
  const hooks: (() => void)[] = [];
  let caught: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    // A second interrupt means "stop now": the library's temporary files are
    // recognisable and removed later by cleanupTemps; targets are untouched.
    if (caught) process.exit(exitForSignal(sig, constants.signals));
    caught = sig;
    controller.abort(new Error(`interrupted by ${sig}`));
    for (const fn of hooks) fn();
  };
  if (spec.interrupts === 'abort') for (const s of SIGNALS) process.on(s, onSignal);
  try {
    const result = await body({ signal: controller.signal, onInterrupt: (fn) => hooks.push(fn) });
    out.success(spec.command, result);
    // The work had finished when the interrupt came: it stands, and saying otherwise
    // (an interrupted status) would make a script think it was not done.
    if (caught) out.note(`atomicfs ${spec.command}: ${caught} came after the change was complete; it stands`);
    process.exitCode = EXIT.ok;
  } catch (err) {
    out.failure(spec.command, reportOf(err, spec, caught));
    process.exitCode = caught ? exitForSignal(caught, constants.signals) : EXIT.failed;
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
  }
}

function field(err: unknown, name: string): unknown {
  return err !== null && typeof err === 'object' ? (err as Record<string, unknown>)[name] : undefined;
}

/** The first code down the `cause` chain that differs from `code`. */
function causeCodeOf(err: unknown, code: unknown): string | undefined {
  let cause = field(err, 'cause');
  for (let depth = 0; cause !== undefined && depth < 8; depth++) {
    const c = field(cause, 'code');
    if (typeof c === 'string' && c !== code) return c;
    cause = field(cause, 'cause');
  }
  return undefined;
}

export function reportOf(err: unknown, spec: RunSpec, interrupted: NodeJS.Signals | undefined): ErrorReport {
  const code = field(err, 'code');
  const path = field(err, 'path');
  const report: ErrorReport = {
    code: typeof code === 'string' ? code : interrupted ? 'ABORT_ERR' : 'EUNKNOWN',
    causeCode: causeCodeOf(err, code),
    message: err instanceof Error ? err.message : String(err),
    path: typeof path === 'string' ? path : undefined,
  };
  if (err instanceof TransactionError) {
    return {
      ...report,
      rolledBack: err.rolledBack,
      outcome: err.rolledBack
        ? 'rolled back: nothing was changed'
        : 'NOT rolled back: run `atomicfs recover <root>` before anything else touches these files',
    };
  }
  if (spec.failure === 'atomic') {
    const what = interrupted ? `interrupted by ${interrupted}` : 'failed';
    return { ...report, rolledBack: true, outcome: `${what} and rolled back: nothing was changed` };
  }
  if (spec.failure === 'read') return report;
  return { ...report, outcome: 'steps finished before the failure stay done; each step was atomic' };
}
