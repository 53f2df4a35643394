/**
 * `lock <path> -- <command…>`: runs a command while holding the library's lock on
 * <path>, like flock(1), and exits with the command's status.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Command } from 'commander';
import { lock } from '../index.js';
import { EXIT, exitForSignal } from './exit-codes.js';
import { parseMs } from './parse-number.js';
import { runCommand } from './run.js';
import { addJsonFlag } from './write-options.js';

interface LockFlags {
  shared?: boolean;
  timeout?: number;
  json?: boolean;
}

/**
 * Runs the command with our stdio and resolves to its exit status (128+n if a signal
 * ended it). While it runs, SIGTERM and SIGHUP are passed on to it; SIGINT is not: a
 * Ctrl-C at a terminal already reaches it (same process group). The lock is held until
 * it has exited, whatever happens to it.
 */
function runHolding(argv: string[]): Promise<number> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(file ?? '', args, { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals): void => void child.kill(sig);
    const ignore = (): void => undefined;
    process.on('SIGTERM', forward).on('SIGHUP', forward).on('SIGINT', ignore);
    const done = (): void => void process.off('SIGTERM', forward).off('SIGHUP', forward).off('SIGINT', ignore);
    child.once('error', (err) => {
      done();
      reject(err);
    });
    child.once('exit', (code, signal) => {
      done();
      resolve(signal ? exitForSignal(signal, constants.signals) : (code ?? EXIT.failed));
    });
  });
}

export function registerLock(program: Command): void {
  const cmd = program
    .command('lock <path> <command...>')
    .description('run <command> holding a lock on <path> (across processes); exit with its status')
    .option('--shared', 'take a shared (read) lock instead of an exclusive one')
    .option('--timeout <ms>', 'give up with ELOCKED (status 1) after this many milliseconds', parseMs)
    .addHelpText('after', '\nExample:\n  atomicfs lock /var/lib/app/state.json --timeout 5000 -- ./migrate.sh --apply');
  addJsonFlag(cmd).action(async (path: string, argv: string[], flags: LockFlags) => {
    let status: number = EXIT.ok;
    await runCommand({ command: 'lock', json: flags.json, failure: 'read', interrupts: 'none' }, async () => {
      const release = await lock(path, { shared: flags.shared === true, timeout: flags.timeout });
      try {
        status = await runHolding(argv).catch((err: unknown) => {
          const code = (err as { code?: unknown }).code;
          if (code === 'ENOENT' || code === 'EACCES') status = EXIT.notFound;
          throw err;
        });
      } finally {
        await release();
      }
      return { data: { path, argv, exitCode: status }, text: '' };
    });
    // The command's own status, passed through (runCommand set 0 or 1 for lock itself).
    if (process.exitCode === EXIT.ok || status === EXIT.notFound) process.exitCode = status;
  });
}
