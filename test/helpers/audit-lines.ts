/** Reading and rewriting an audit log's lines in tests (to tamper with it). */
import { readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';

export async function linesOfLog(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return text.split('\n').slice(0, -1);
}

export async function writeLines(file: string, lines: string[]): Promise<void> {
  await writeFile(file, lines.map((l) => l + '\n').join(''));
}

/** Recomputes a line's own hash after an edit, as a tamperer who knows the format would. */
export function reseal(line: string): string {
  const m = /,"hash":"[0-9a-f]{64}"\}$/.exec(line);
  if (!m) throw new Error('not a sealed line');
  const body = line.slice(0, m.index) + '}';
  return `${line.slice(0, m.index)},"hash":"${createHash('sha256').update(body).digest('hex')}"}`;
}
