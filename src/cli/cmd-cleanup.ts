/** `cleanup <dir>`: removes temporary files that killed writes left behind, nothing else. */
import type { Command } from 'commander';
import { cleanupTemps } from '../index.js';
import { parseMs } from './parse-number.js';
import { runCommand } from './run.js';
import { addJsonFlag } from './write-options.js';

interface CleanupFlags {
  olderThanMs?: number;
  recursive?: boolean;
  json?: boolean;
}

export function registerCleanup(program: Command): void {
  const cmd = program
    .command('cleanup <dir>')
    .description(
      "remove this library's abandoned temporary files in <dir> (those of dead writers, or older than --older-than-ms)",
    )
    .option('--older-than-ms <ms>', 'a temporary file older than this is abandoned (default: 15 minutes)', parseMs)
    .option('-r, --recursive', 'also clean sub-folders')
    .addHelpText('after', '\nExample (from cron):\n  atomicfs cleanup /srv/app/data --recursive');
  addJsonFlag(cmd).action((dir: string, flags: CleanupFlags) =>
    runCommand({ command: 'cleanup', json: flags.json, failure: 'steps', interrupts: 'abort' }, async (ctx) => {
      const { removed } = await cleanupTemps(dir, {
        olderThanMs: flags.olderThanMs,
        recursive: flags.recursive === true,
        signal: ctx.signal,
      });
      const text =
        removed.length === 0 ? `no abandoned temporary files in ${dir}` : removed.map((p) => `removed ${p}`).join('\n');
      return { data: { dir, removed }, text };
    }),
  );
}
