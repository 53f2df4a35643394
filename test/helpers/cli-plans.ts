/**
 * A plan large enough to be caught in the middle: N files, each replaced by a 2 MiB file,
 * plus one whose content comes from a named pipe, which holds the commit before its
 * commit point until the test lets it go (so that an interrupt always lands in time).
 */
import { spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { open, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from './cli-files.js';

/** A named pipe (mkfifo) at `path`. */
export function makeFifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path} failed: ${r.stderr.toString()}`);
}

/** Writes the plan into `dir`; `hold` is a named pipe (outside `dir`) to read one file from. */
export async function largePlan(dir: string, files: number, hold: string): Promise<string> {
  const ops: object[] = [];
  for (let i = 0; i < files; i++) {
    await writeFile(join(dir, `f${i}.txt`), `old ${i}\n`);
    await writeFile(join(dir, `src${i}.bin`), Buffer.alloc(2 * 1024 * 1024, i));
    ops.push({ op: 'write', path: `f${i}.txt`, contentFrom: `src${i}.bin` });
  }
  ops.push({ op: 'write', path: 'held.txt', contentFrom: hold });
  const plan = join(dir, 'plan.json');
  await writeFile(plan, JSON.stringify({ operations: ops }));
  return plan;
}

/**
 * Resolves once the commit has begun writing staged files beside their targets (the
 * library names them `.<name>.<id>.atomicfs-stage`): the transaction is under way and,
 * while the pipe is held, before its commit point.
 */
export async function stagingBegun(dir: string): Promise<void> {
  await waitFor('staging to begin', async () => (await readdir(dir)).some((n) => n.endsWith('.atomicfs-stage')));
}

/** Lets the reader of the pipe go on (it sees the end of its input), once it is reading. */
export async function releaseFifo(fifo: string): Promise<void> {
  await waitFor('the pipe to have its reader', async () => {
    try {
      // Non-blocking: fails with ENXIO while nobody has the pipe open for reading.
      await (await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK)).close();
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'ENXIO') return false;
      throw err;
    }
  });
}
