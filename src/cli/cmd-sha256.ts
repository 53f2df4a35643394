/** `sha256 <path…>`: streamed SHA-256 sums, printed like sha256sum(1). */
import type { Command } from 'commander';
import { sha256File } from '../index.js';
import { runCommand } from './run.js';
import { addJsonFlag } from './write-options.js';

export function registerSha256(program: Command): void {
  const cmd = program
    .command('sha256 <paths...>')
    .description('print the SHA-256 of each file (streamed), as sha256sum does')
    .addHelpText('after', '\nExample:\n  atomicfs sha256 config.json data.bin');
  addJsonFlag(cmd).action((paths: string[], flags: { json?: boolean }) =>
    runCommand({ command: 'sha256', json: flags.json, failure: 'read', interrupts: 'abort' }, async () => {
      const files: { path: string; sha256: string }[] = [];
      for (const path of paths) files.push({ path, sha256: await sha256File(path) });
      return { data: { files }, text: files.map((f) => `${f.sha256}  ${f.path}`).join('\n') };
    }),
  );
}
