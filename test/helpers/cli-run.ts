/** Runs the BUILT command (dist/src/cli/main.js) as a user would: a real process, real pipes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The built command, found relative to this (built) helper so any clone location works. */
export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** The built package entry, for child scripts that need the library itself. */
export const ENTRY = fileURLToPath(new URL('../../src/index.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to stdin, which is then closed (empty input when absent). */
  input?: string | Uint8Array | AsyncIterable<Uint8Array>;
  /** Default: the system's temporary folder, so that a relative path never lands in the checkout. */
  cwd?: string;
  env?: Record<string, string | undefined>;
}

/** Starts the command; stdin stays open for the caller to write to. */
export function startCli(args: string[], opts: Omit<CliOptions, 'input'> = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? tmpdir(),
    env: { ...process.env, NO_COLOR: undefined, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Resolves when the process has exited, with everything it printed. */
export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function feed(child: ChildProcess, input: CliOptions['input']): Promise<void> {
  const stdin = child.stdin;
  if (!stdin) return;
  // The command may exit before reading everything (a usage error, say): not our failure.
  stdin.on('error', () => undefined);
  if (input === undefined || typeof input === 'string' || input instanceof Uint8Array) {
    stdin.end(input);
    return;
  }
  for await (const chunk of input) {
    if (!stdin.write(chunk)) await new Promise((r) => stdin.once('drain', r));
  }
  stdin.end();
}

export async function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const child = startCli(args, opts);
  const done = finished(child);
  await feed(child, opts.input);
  return done;
}

/** The exit status as a shell reports it: 128+n for a process ended by signal n. */
export function shellStatus(r: Pick<CliResult, 'code' | 'signal'>): number {
  if (r.signal === 'SIGINT') return 130;
  if (r.signal === 'SIGTERM') return 143;
  return r.code ?? -1;
}

/** The single JSON document a --json run prints on stdout. */
export function jsonOf(r: CliResult): Record<string, unknown> {
  const lines = r.stdout.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}
