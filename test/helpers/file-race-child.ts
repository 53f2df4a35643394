/**
 * A racer for file-race.test. Prints `ready` once loaded, then runs each command it
 * reads on stdin against the shared path and prints its outcome as one JSON line, so
 * that the parent can start all racers on one command at the same moment.
 * argv: <id>; stdin lines: `create <path>` or `write <path> <times>`.
 */
import { createInterface } from 'node:readline';
import { createFile, writeFile } from '../../src/index.js';

const id = process.argv[2];
if (!id) throw new Error('usage: file-race-child <id>');

/** Content unique to this racer and round, long enough that writes overlap. */
export function raceContent(racer: string, round: number): string {
  return `${racer}:${round}:`.padEnd(64 * 1024, racer);
}

async function runCommand(line: string): Promise<object> {
  const [op, path, times] = line.split(' ');
  if (!path) throw new Error(`bad command ${line}`);
  try {
    if (op === 'create') await createFile(path, raceContent(id!, 0));
    else for (let r = 0; r < Number(times ?? 1); r++) await writeFile(path, raceContent(id!, r));
    return { id, ok: true };
  } catch (err) {
    return { id, ok: false, code: (err as NodeJS.ErrnoException).code, message: (err as Error).message };
  }
}

console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== '') console.log(JSON.stringify(await runCommand(line)));
}
