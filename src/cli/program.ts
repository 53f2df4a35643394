/** The `atomicfs` command line: one commander program, one module per subcommand. */
import { Command } from 'commander';
import { registerApply } from './cmd-apply.js';
import { registerAudit } from './cmd-audit.js';
import { registerBackups } from './cmd-backups.js';
import { registerCleanup } from './cmd-cleanup.js';
import { registerFileCommands } from './cmd-files.js';
import { registerLock } from './cmd-lock.js';
import { registerMerge } from './cmd-merge.js';
import { registerRecover } from './cmd-recover.js';
import { registerRotate } from './cmd-rotate.js';
import { registerSha256 } from './cmd-sha256.js';
import { registerWrite } from './cmd-write.js';
import { packageVersion } from './package-info.js';

const OVERVIEW = `
Exit status: 0 success, 1 the operation failed (and was rolled back), 2 usage error,
130 interrupted; \`lock\` exits with the status of the command it ran.
Every subcommand takes --json (one JSON result on stdout) and --help.

Example:
  generate-config | atomicfs write /etc/app/config.json`;

export function buildProgram(): Command {
  const program = new Command('atomicfs')
    .description('atomic, durable, crash-safe file changes from the shell')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpText('after', OVERVIEW)
    .showHelpAfterError('(run with --help for usage)')
    // Throw instead of exiting, so main maps every usage error to status 2. Set before
    // adding subcommands: they copy these settings when created.
    .exitOverride();
  registerWrite(program);
  registerFileCommands(program);
  registerApply(program);
  registerRecover(program);
  registerBackups(program);
  registerAudit(program);
  registerLock(program);
  registerSha256(program);
  registerRotate(program);
  registerMerge(program);
  registerCleanup(program);
  return program;
}
