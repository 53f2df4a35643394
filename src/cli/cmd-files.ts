/** `rm`, `cp` and `mv`: the library's deleteFile, copyFile and moveFile. */
import type { Command } from 'commander';
import { copyFile, deleteFile, moveFile } from '../index.js';
import { byteProgress } from './progress.js';
import { runCommand } from './run.js';
import { addHookFlags, hookOptions } from './hook-options.js';
import { addJsonFlag, addWriteFlags, writeOptions, type WriteFlags } from './write-options.js';

interface RmFlags extends WriteFlags {
  force?: boolean;
}

function registerRm(program: Command): void {
  const cmd = program
    .command('rm <path>')
    .description('delete <path> durably (ENOENT if it does not exist, unless --force)')
    .option('-f, --force', 'succeed when <path> does not exist')
    .option('--no-fsync', 'skip syncing the directory: not durable across a power loss')
    .addHelpText('after', '\nExample:\n  atomicfs rm /var/run/app.pid --force --backup-dir /var/backups/app');
  addJsonFlag(addHookFlags(cmd)).action((path: string, flags: RmFlags) =>
    runCommand({ command: 'rm', json: flags.json, failure: 'atomic', interrupts: 'abort' }, async (ctx) => {
      // Not writeOptions: a delete writes no content (nothing to verify, no mode).
      await deleteFile(path, {
        force: flags.force === true,
        fsync: flags.fsync,
        signal: ctx.signal,
        ...hookOptions(flags),
      });
      return { data: { path }, text: `removed ${path}` };
    }),
  );
}

type Transfer = typeof copyFile;

function registerTransfer(
  program: Command,
  name: 'cp' | 'mv',
  transfer: Transfer,
  description: string,
  example: string,
): void {
  const cmd = program
    .command(`${name} <src> <dest>`)
    .description(description)
    .addHelpText('after', `\nExample:\n  ${example}`);
  addWriteFlags(cmd, name === 'cp').action((src: string, dest: string, flags: WriteFlags) =>
    runCommand({ command: name, json: flags.json, failure: 'atomic', interrupts: 'abort' }, async (ctx) => {
      const progress = byteProgress(`${name} ${dest}`);
      try {
        await transfer(src, dest, { ...writeOptions(flags, ctx.signal), onProgress: (p) => progress.onProgress(p) });
      } finally {
        progress.stop();
      }
      return { data: { src, dest }, text: `${name === 'cp' ? 'copied' : 'moved'} ${src} -> ${dest}` };
    }),
  );
}

export function registerFileCommands(program: Command): void {
  registerRm(program);
  registerTransfer(
    program,
    'cp',
    copyFile,
    'copy <src> to <dest>, replacing <dest> atomically',
    'atomicfs cp build/app.tar /srv/releases/app.tar --verify',
  );
  registerTransfer(
    program,
    'mv',
    moveFile,
    'move <src> to <dest> atomically, also across devices',
    'atomicfs mv /tmp/report.csv /data/reports/today.csv',
  );
}
