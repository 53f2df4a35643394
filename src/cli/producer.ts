/**
 * `write <path> -- <command…>`: the producer run by the command itself, so that its exit
 * status decides. Its stdout streams into the write; stdin and stderr stay the user's.
 * Only an exit with status 0 lets the write go on to replace the file: a failure, a
 * signal or a command that cannot be started fails the source, and the library then
 * leaves the file as it was and removes its temporary file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { AtomicError } from '../index.js';

interface Ending {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function endingOf(child: ChildProcess): Promise<Ending> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

function quoted(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export interface Producer {
  /** Its stdout, then (after it ends) a check of its exit status. */
  output: AsyncGenerator<Uint8Array>;
  /** Ends it (SIGTERM) if it is still running: on an interrupt. */
  stop(): void;
}

export function runProducer(argv: readonly string[], target: string): Producer {
  let child: ChildProcess | undefined;
  const stop = (): void => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  async function* output(): AsyncGenerator<Uint8Array> {
    const [file, ...args] = argv;
    child = spawn(file ?? '', args, { stdio: ['inherit', 'pipe', 'inherit'] });
    const ending = endingOf(child);
    // Observed at once: if the write gives up before the end, nobody else awaits it.
    ending.catch(() => undefined);
    let done = false;
    try {
      for await (const chunk of child.stdout!) yield chunk as Buffer;
      const end = await ending.catch((err: unknown) => {
        throw new AtomicError(
          'EPRODUCER',
          `${target}: cannot start the producer ${quoted(argv)}: ${(err as Error).message}`,
          { path: target, cause: err },
        );
      });
      done = true;
      if (end.code !== 0) {
        const how = end.signal ? `was ended by ${end.signal}` : `exited with status ${String(end.code)}`;
        throw new AtomicError('EPRODUCER', `${target}: the producer ${quoted(argv)} ${how}`, { path: target });
      }
    } finally {
      // The write stopped early (its own failure, an interrupt): the producer is not needed.
      if (!done) stop();
    }
  }
  return { output: output(), stop };
}
