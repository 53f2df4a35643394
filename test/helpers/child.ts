/** Child processes that run a snippet of ESM code against the built package. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** file:// URL of the built public entry, for child scripts to import. */
export const ENTRY = new URL('../../src/index.js', import.meta.url).href;

/** Writes `body` as an ES module that has `atomicfs` (the built package) in scope. */
export async function childScript(dir: string, name: string, body: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, `import * as atomicfs from ${JSON.stringify(ENTRY)};\n${body}\n`);
  return file;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function run(
  script: string,
  args: string[] = [],
  opts: { cwd?: string } = {},
): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Finished>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Resolves once the child has printed `marker` on stdout. */
export function waitFor(child: ChildProcess, marker: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer): void => {
      seen += d.toString();
      if (seen.includes(marker)) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('close', () => reject(new Error(`child exited before printing ${marker}`)));
  });
}
