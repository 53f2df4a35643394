/** `write <path>` and `create <path>`: stdin, streamed, into a file, atomically. */
import { InvalidArgumentError, type Command } from 'commander';
import { createFile, writeFile, type HashedWriteResult } from '../index.js';
import type { CommandResult } from './output.js';
import { byteProgress } from './progress.js';
import { runCommand, type RunContext } from './run.js';
import { formatBytes } from './units.js';
import { addWriteFlags, writeOptions, type WriteFlags } from './write-options.js';

type Writer = typeof writeFile;

interface StdinFlags extends WriteFlags {
  size?: number;
}

function parseSize(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`expected a number of bytes, got "${text}"`);
  return n;
}

/** --size: stdin's length is unknown to the library; given, the bar shows a share and time left. */
function withSize(cmd: Command): Command {
  return cmd.option('--size <bytes>', 'expected input size, for the progress bar (percentage and time left)', parseSize);
}

async function fromStdin(ctx: RunContext, op: string, write: Writer, path: string, flags: StdinFlags): Promise<CommandResult> {
  // Ending stdin with an error (not just closing it) makes the library see a failed
  // source, so a half-read input can never be committed as if it were complete.
  ctx.onInterrupt(() => process.stdin.destroy(new Error('interrupted')));
  const progress = byteProgress(`${op} ${path}`, flags.size);
  let written: HashedWriteResult;
  try {
    // The command prints the hash of what it wrote, so it asks for it.
    written = await write(path, process.stdin, { ...writeOptions(flags, ctx.signal), sha256: true, onProgress: (p) => progress.onProgress(p) });
  } finally {
    progress.stop();
  }
  return {
    data: { path: written.path, bytes: written.bytes, sha256: written.sha256 },
    text: `${op === 'create' ? 'created' : 'wrote'} ${written.path} (${formatBytes(written.bytes)}, sha256 ${written.sha256})`,
  };
}

export function registerWrite(program: Command): void {
  addWriteFlags(withSize(
    program
      .command('write <path>')
      .description('replace <path> atomically with what arrives on stdin (streamed)')
      .addHelpText('after', '\nExample:\n  curl -s https://example.com/config | atomicfs write /etc/app/config.json --verify'),
  )).action((path: string, flags: StdinFlags) =>
    runCommand({ command: 'write', json: flags.json, failure: 'atomic', interrupts: 'abort' }, (ctx) =>
      fromStdin(ctx, 'write', writeFile, path, flags),
    ),
  );
  addWriteFlags(withSize(
    program
      .command('create <path>')
      .description('create <path> from stdin; fails with EEXIST if it exists, even when processes race')
      .addHelpText('after', '\nExample:\n  echo "$$" | atomicfs create run/leader.pid || echo "another leader exists"'),
  )).action((path: string, flags: StdinFlags) =>
    runCommand({ command: 'create', json: flags.json, failure: 'atomic', interrupts: 'abort' }, (ctx) =>
      fromStdin(ctx, 'create', createFile, path, flags),
    ),
  );
}
