#!/usr/bin/env node
/**
 * The `atomicfs` command. Parses the command line and runs one subcommand; each
 * subcommand sets process.exitCode itself (see run.ts). Usage errors exit with 2.
 */
import { CommanderError } from 'commander';
import { EXIT } from './exit-codes.js';
import { buildProgram } from './program.js';

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    // Commander has already printed its message (or the help/version text).
    if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    else throw err;
  }
}

// A reader that stops early (`atomicfs sha256 … | head -1`) is not a failure of ours; only
// the printing is cut short, after the work is done.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok);
});

await main(process.argv);
