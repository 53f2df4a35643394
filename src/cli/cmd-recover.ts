/** `recover <root>`: finish or undo what an interrupted transaction left in <root>. */
import type { Command } from 'commander';
import { AuditLog, recover } from '../index.js';
import { toJson } from './json-value.js';
import { parseMs } from './parse-number.js';
import { runCommand } from './run.js';
import { addJsonFlag } from './write-options.js';

function count(value: unknown): number {
  return Array.isArray(value) ? value.length : typeof value === 'number' ? value : 0;
}

export function registerRecover(program: Command): void {
  const cmd = program
    .command('recover <root>')
    .description('roll back or roll forward any transaction interrupted in <root>, remove stray temporary files')
    .addHelpText('after', '\nExample (at boot, before the service starts):\n  atomicfs recover /srv/app/data');
  cmd.option(
    '--timeout <ms>',
    "give up waiting for a journal's locks after this many milliseconds (ELOCKED, status 1)",
    parseMs,
  );
  cmd.option('--audit <file>', 'record each transaction rolled back or forward in this audit log (operation recover)');
  addJsonFlag(cmd).action((root: string, flags: { json?: boolean; timeout?: number; audit?: string }) =>
    // Not interruptible from here: recovery is idempotent, so a killed run is simply
    // run again; aborting it half-way would gain nothing.
    runCommand({ command: 'recover', json: flags.json, failure: 'steps', interrupts: 'none' }, async () => {
      const report = await recover(root, {
        timeout: flags.timeout,
        ...(flags.audit === undefined ? {} : { audit: new AuditLog(flags.audit) }),
      });
      const text =
        `recovered ${root}: ${count(report.rolledBack)} rolled back, ` +
        `${count(report.rolledForward)} rolled forward, ${count(report.tempsRemoved)} temporary files removed`;
      return { data: { root, report: toJson(report) }, text };
    }),
  );
}
