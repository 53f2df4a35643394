/** File-system checks for the command's end-to-end tests (tests may use node:fs). */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Names in `dir`, sorted. */
export async function namesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** Every file under `dir` with its content, skipping the library's state folder. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (sub: string): Promise<void> => {
    for (const e of await readdir(join(dir, sub), { withFileTypes: true })) {
      const rel = sub === '' ? e.name : `${sub}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== '.atomicfs') await walk(rel);
      } else out[rel] = await readFile(join(dir, rel), 'utf8');
    }
  };
  await walk('');
  return out;
}

/** Resolves once `check` returns true; fails after `ms`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The size of the largest file in `dir` other than `except` (a temporary file being written). */
export async function largestOther(dir: string, except: string): Promise<number> {
  let max = 0;
  for (const name of await readdir(dir)) {
    if (name === except) continue;
    const s = await stat(join(dir, name)).catch(() => undefined);
    if (s?.isFile()) max = Math.max(max, s.size);
  }
  return max;
}
