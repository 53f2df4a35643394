/**
 * The options every writing subcommand shares, mirroring the library's WriteOptions:
 * --no-fsync, --verify, --mode, and (through hook-options.ts) --backup-dir and --audit.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { WriteOptions } from '../index.js';
import { addHookFlags, hookOptions, type HookFlags } from './hook-options.js';

export interface WriteFlags extends HookFlags {
  fsync: boolean;
  verify?: boolean;
  mode?: number;
  json?: boolean;
}

/** Octal permission bits, as chmod takes them: 644, 0644 or 0o644. */
export function parseMode(text: string): number {
  const m = /^(?:0o?)?([0-7]{1,4})$/i.exec(text.trim());
  if (!m?.[1]) throw new InvalidArgumentError(`expected octal permission bits such as 644 or 0600, got "${text}"`);
  return parseInt(m[1], 8);
}

export function addJsonFlag(cmd: Command): Command {
  return cmd.option('--json', 'print one JSON result on stdout');
}

/** `withMode: false` for moves, which keep the source file's mode (the library refuses one). */
export function addWriteFlags(cmd: Command, withMode = true): Command {
  cmd
    .option('--no-fsync', 'skip fsync: atomic, but not durable across a power loss')
    .option('--verify', 'read the new content back and compare SHA-256 before replacing');
  if (withMode)
    cmd.option('--mode <octal>', "permission bits (default: the replaced file's, else 666 minus umask)", parseMode);
  return addJsonFlag(addHookFlags(cmd));
}

export function writeOptions(flags: WriteFlags, signal: AbortSignal): WriteOptions {
  return {
    fsync: flags.fsync,
    verify: flags.verify === true,
    mode: flags.mode,
    signal,
    ...hookOptions(flags),
  };
}
