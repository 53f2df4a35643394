/**
 * Opt-in interrupt handling. The library never installs signal handlers on its own: a
 * program (the command, say) calls handleSignals(). Then SIGINT and SIGTERM roll back
 * every transaction that has not reached its commit point, let those past it finish,
 * restore guarded files, and exit as the signal would have.
 */
import { constants } from 'node:os';
import { interruptAll } from './live.js';
import { checkOptions } from '../base/options-check.js';

export interface HandleSignalsOptions {
  /** Default: SIGINT and SIGTERM. */
  signals?: NodeJS.Signals[] | undefined;
}

function exitCodeOf(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** Installs the handlers; resolves to a function that uninstalls them. */
export function handleSignals(opts: HandleSignalsOptions = {}): () => void {
  checkOptions('handleSignals', 'handleSignals', undefined, opts);
  const signals = opts.signals ?? ['SIGINT', 'SIGTERM'];
  let stopping = false;
  const uninstall = (): void => {
    for (const s of signals) process.off(s, handler);
  };
  function handler(signal: NodeJS.Signals): void {
    // A second signal while settling: the user insists. The journals left behind are
    // what recover() is for.
    if (stopping) process.exit(exitCodeOf(signal));
    stopping = true;
    void interruptAll().finally(() => {
      uninstall();
      // Re-raise so that the parent sees death by this signal, as without the handler;
      // if someone else also listens for it, the default action will not run: exit.
      if (process.listenerCount(signal) === 0) {
        process.kill(process.pid, signal);
        setTimeout(() => process.exit(exitCodeOf(signal)), 1000).unref();
      } else process.exit(exitCodeOf(signal));
    });
  }
  for (const s of signals) process.on(s, handler);
  return uninstall;
}
