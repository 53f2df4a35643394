/**
 * Injected faults: every disk call of an operation fails in turn with each error code;
 * the caller must get an AtomicError with that code naming the path, the files must be as
 * before, nothing may be left behind, and the operation must work when run again.
 */
import { AtomicError } from '../../src/index.js';
import { showError } from './sim-errors.js';
import { SimDisk } from './sim-disk.js';
import { filesUnder, type Files } from './expect.js';
import { finalFiles, seedInto, type SingleCase } from './single.js';
import { need, op } from './ops.js';

export const CODES = ['EIO', 'ENOSPC', 'EACCES', 'EMFILE'] as const;
/** Codes only some calls can fail with. */
const ONLY_ON: Record<string, string[]> = { EXDEV: ['rename', 'link'] };

/** Fast retries: EMFILE is retried by design, and the fault persists until they run out. */
const RETRY = { retry: { attempts: 3, maxDelayMs: 1 } };
const HANG_MS = 2_000;

export interface FaultRow {
  name: string;
  calls: number;
  injected: number;
  failed: number;
  /** The operation absorbed the fault and completed (a failing close, say). */
  absorbed: number;
  problems: string[];
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: did not settle within ${HANG_MS} ms`)), HANG_MS);
  });
  return Promise.race([p, hang]).finally(() => clearTimeout(timer));
}

function same(files: Map<string, string>, expected: Files): boolean {
  return Object.entries(expected).every(([p, v]) => (files.get(p) ?? null) === v);
}

function show(files: Map<string, string>): string {
  return JSON.stringify(Object.fromEntries(files));
}

export async function injectFaults(c: SingleCase): Promise<FaultRow> {
  const final = await finalFiles(c);
  const clean = new SimDisk();
  seedInto(clean, c);
  await c.run(clean, RETRY);
  const row: FaultRow = { name: c.name, calls: clean.callCount, injected: 0, failed: 0, absorbed: 0, problems: [] };
  for (const call of clean.log) {
    for (const code of [...CODES, 'EXDEV']) {
      if (ONLY_ON[code] && !ONLY_ON[code].includes(call.op)) continue;
      row.injected++;
      const problem = await oneFault(c, call.n, `${call.op} ${call.path}`, code, final, row);
      if (problem) row.problems.push(`${c.name}: ${code} on call ${call.n} (${call.op} ${call.path}): ${problem}`);
    }
  }
  return row;
}

async function oneFault(
  c: SingleCase,
  at: number,
  call: string,
  code: string,
  final: Files,
  row: FaultRow,
): Promise<string | undefined> {
  const sim = new SimDisk();
  seedInto(sim, c);
  sim.injectFault({ at, code, persistent: code === 'EMFILE' });
  const known = new Set(Object.keys(c.seed));
  const links = (p: string): boolean => (c.symlinks ?? []).some(([, l]) => l === p);
  const problems: string[] = [];
  let error: unknown;
  try {
    await withTimeout(c.run(sim, RETRY), call);
  } catch (err) {
    error = err;
  }
  sim.clearFaults();
  // An operation that completed despite the fault (a failing unlink of a temporary link
  // after createFile's link, say) may leave a temporary file that cleanupTemps removes.
  const { files, strays } = filesUnder(sim, c.root, known, { ignore: links, allowTemps: error === undefined });
  if (strays.length > 0) problems.push(`left behind: ${strays.join(', ')}`);
  if (error === undefined) {
    row.absorbed++;
    if (!same(files, final)) problems.push(`resolved, but the files are not the new ones: ${show(files)}`);
  } else {
    row.failed++;
    const wrong = checkError(error, code, c);
    if (wrong) problems.push(wrong);
    // A failed directory sync comes after the rename: the change is made, not yet durable.
    const allowed = [c.seed, ...(c.between ?? []), ...(call.startsWith('syncDir') ? [final] : [])];
    if (!c.rerun && !allowed.some((s) => same(files, s)))
      problems.push(`failed (${showError(error)}), but the files changed: ${show(files)}`);
    if (!same(files, final)) {
      try {
        await withTimeout(c.run(sim, RETRY), `${call}, run again`);
      } catch (err) {
        problems.push(`the same operation failed again without a fault: ${showError(err)}`);
      }
    }
  }
  const after = filesUnder(sim, c.root, known, { ignore: links, allowTemps: error === undefined });
  if (!same(after.files, final))
    problems.push(`after running again the files are not the new ones: ${show(after.files)}`);
  if (after.strays.length > 0 && strays.length === 0)
    problems.push(`left behind after running again: ${after.strays.join(', ')}`);
  const next = await nextWorks(sim, Object.keys(c.seed)[0]!);
  if (next) problems.push(next);
  return problems.length ? problems.join('; ') : undefined;
}

/** The next operations on the path work: a write, and taking its lock (none is left held). */
async function nextWorks(sim: SimDisk, path: string): Promise<string | undefined> {
  try {
    await withTimeout(need('writeFile')(path, 'next', { disk: sim }), `writeFile ${path}`);
    if (sim.contentOf(path) !== 'next') return `the next writeFile ${path} did not land`;
  } catch (err) {
    return `the next writeFile ${path} failed: ${showError(err)}`;
  }
  const lock = op('lock');
  if (!lock) return undefined;
  try {
    const release = await lock(path, { disk: sim, timeout: 150 });
    await release();
  } catch (err) {
    return `the path stays locked: ${showError(err)}`;
  }
  return undefined;
}

function checkError(err: unknown, code: string, c: SingleCase): string | undefined {
  if (!(err instanceof AtomicError)) return `not an AtomicError: ${showError(err)}`;
  if (err.code !== code) return `code ${err.code}, expected ${code}: ${err.message}`;
  const paths = [...Object.keys(c.seed), ...(c.symlinks ?? []).map(([, l]) => l)];
  if (!paths.some((p) => err.message.includes(p)))
    return `the message names none of ${paths.join(', ')}: ${err.message}`;
  return undefined;
}

export function faultTable(rows: FaultRow[]): string {
  const lines = rows.map(
    (r) => `| ${r.name} | ${r.calls} | ${r.injected} | ${r.failed} | ${r.absorbed} | ${r.problems.length} |`,
  );
  return [
    '| operation | disk calls | faults injected | failed cleanly | absorbed (completed) | problems |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...lines,
  ].join('\n');
}
