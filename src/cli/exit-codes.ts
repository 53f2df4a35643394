/**
 * The command's exit statuses, as documented in docs/CLI.md. Scripts branch on these,
 * so they are a promise like the library's error codes.
 */
export const EXIT = {
  /** Everything asked for was done. */
  ok: 0,
  /** The operation failed; what it touched was left as it was (or rolled back). */
  failed: 1,
  /** The command line was wrong: nothing was attempted. */
  usage: 2,
  /** `lock`: the command to run could not be started. */
  notFound: 127,
  /** Interrupted by SIGINT (128 + 2, as a shell reports it). */
  interrupted: 130,
} as const;

/** 128 + the signal's number, as a shell reports a process killed by that signal. */
export function exitForSignal(signal: NodeJS.Signals, numbers: Record<string, number>): number {
  return 128 + (numbers[signal] ?? 0);
}
