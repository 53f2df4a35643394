/** `rotate <path> --max-files N`: path -> path.1 -> … -> path.N, each step atomic. */
import type { Command } from 'commander';
import { rotateFile } from '../index.js';
import { parseCount } from './parse-number.js';
import { runCommand } from './run.js';
import { addJsonFlag } from './write-options.js';

interface RotateFlags {
  maxFiles: number;
  compress?: boolean;
  json?: boolean;
}

export function registerRotate(program: Command): void {
  const cmd = program
    .command('rotate <path>')
    .description('rotate <path> to <path>.1, <path>.1 to <path>.2 … keeping at most N old files')
    .requiredOption('--max-files <n>', 'how many rotated files to keep', parseCount)
    .option('--compress', 'gzip the rotated files (<path>.1.gz …)')
    .addHelpText('after', '\nExample:\n  atomicfs rotate /var/log/app/report.csv --max-files 7 --compress');
  addJsonFlag(cmd).action((path: string, flags: RotateFlags) =>
    // Each step of a rotation is atomic on its own and the library takes no signal: an
    // interrupt simply ends the command between or within steps.
    runCommand({ command: 'rotate', json: flags.json, failure: 'steps', interrupts: 'none' }, async () => {
      const r = await rotateFile(path, { maxFiles: flags.maxFiles, compress: flags.compress === true });
      const text = r.rotated
        ? `rotated ${path}: ${r.files.join(', ')}${r.dropped === undefined ? '' : `; dropped ${r.dropped}`}`
        : `${path} does not exist: nothing to rotate`;
      return { data: { path, rotated: r.rotated, dropped: r.dropped ?? null, files: r.files }, text };
    }),
  );
}
