/** `write <path>` and `create <path>`: stdin, streamed, into a file, atomically. */
import { InvalidArgumentError, type Command } from 'commander';
import { createFile, writeFile, type HashedWriteResult } from '../index.js';
import type { CommandResult } from './output.js';
import { checkedInput } from './checked-input.js';
import { runProducer } from './producer.js';
import { byteProgress } from './progress.js';
import { runCommand, type RunContext } from './run.js';
import { formatBytes } from './units.js';
import { addWriteFlags, writeOptions, type WriteFlags } from './write-options.js';

type Writer = typeof writeFile;

interface StdinFlags extends WriteFlags {
  size?: number;
  allowEmpty?: boolean;
}

function parseSize(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a number of bytes, got "${text}"`);
  return n;
}

/** --size and --allow-empty: what the input must be for the file to be replaced. */
function withInputFlags(cmd: Command): Command {
  return cmd
    .option(
      '--size <bytes>',
      'the input must be exactly this many bytes, else the file is left as it was (also gives the progress bar a total)',
      parseSize,
    )
    .option('--allow-empty', 'accept an empty input (refused by default: a failed producer often prints nothing)');
}

/**
 * The producer after `--`, or none. Operands without `--` are a usage error: `write a b`
 * is more likely a mistaken copy than a wish to run `b`.
 */
function producerArgv(cmd: Command, argv: string[]): string[] | undefined {
  if (argv.length === 0) return undefined;
  const raw = (cmd.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? process.argv;
  if (!raw.includes('--'))
    cmd.error(
      `error: unexpected operand '${argv[0] ?? ''}': to run a producer, put it after --: atomicfs ${cmd.name()} <path> -- <command…>`,
    );
  return argv;
}

async function writeInput(
  ctx: RunContext,
  op: string,
  write: Writer,
  path: string,
  argv: string[] | undefined,
  flags: StdinFlags,
): Promise<CommandResult> {
  let source: AsyncIterable<Uint8Array>;
  if (argv) {
    const producer = runProducer(argv, path);
    ctx.onInterrupt(() => producer.stop());
    source = producer.output;
  } else {
    // Ending stdin with an error (not just closing it) makes the library see a failed
    // source, so a half-read input can never be committed as if it were complete.
    ctx.onInterrupt(() => process.stdin.destroy(new Error('interrupted')));
    source = process.stdin;
  }
  const input = checkedInput(source, { path, size: flags.size, allowEmpty: flags.allowEmpty === true });
  const progress = byteProgress(`${op} ${path}`, flags.size);
  let written: HashedWriteResult;
  try {
    // The command prints the hash of what it wrote, so it asks for it.
    written = await write(path, input, {
      ...writeOptions(flags, ctx.signal),
      sha256: true,
      onProgress: (p) => progress.onProgress(p),
    });
  } finally {
    progress.stop();
  }
  return {
    data: { path: written.path, bytes: written.bytes, sha256: written.sha256 },
    text: `${op === 'create' ? 'created' : 'wrote'} ${written.path} (${formatBytes(written.bytes)}, sha256 ${written.sha256})`,
  };
}

function register(
  program: Command,
  op: 'write' | 'create',
  write: Writer,
  description: string,
  examples: string,
): void {
  addWriteFlags(
    withInputFlags(
      program
        .command(`${op} <path> [command...]`)
        .description(description)
        .addHelpText('after', `\nExamples:\n${examples}`),
    ),
  ).action((path: string, argv: string[], flags: StdinFlags, cmd: Command) => {
    // Before runCommand: a usage error is status 2, not a failed write.
    const producer = producerArgv(cmd, argv);
    return runCommand({ command: op, json: flags.json, failure: 'atomic', interrupts: 'abort' }, (ctx) =>
      writeInput(ctx, op, write, path, producer, flags),
    );
  });
}

export function registerWrite(program: Command): void {
  register(
    program,
    'write',
    writeFile,
    'replace <path> atomically with the output of <command> (after --), or with stdin; only if <command> exits 0',
    '  atomicfs write /etc/app/config.json -- generate-config --env prod\n  curl -fsS https://example.com/config | atomicfs write /etc/app/config.json --verify',
  );
  register(
    program,
    'create',
    createFile,
    'create <path> from the output of <command> (after --), or stdin; fails with EEXIST if it exists, even when processes race',
    '  echo "$$" | atomicfs create run/leader.pid || echo "another leader exists"',
  );
}
