/**
 * Temporary and staged file names. Unique (pid and 48 random bits: never a fixed name
 * that two writers could share), hidden, in the target's own directory (so the final
 * step is a rename on one file system), and with a suffix that `cleanupTemps` and
 * recovery recognise without ever matching a user's file.
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, sep } from 'node:path';

export const TEMP_SUFFIX = '.atomicfs-tmp';
/**
 * The folder under a transaction's root that holds its journals and lock owners: nothing
 * a transaction may change, and nothing `cleanupTemps` walks into (recovery owns it).
 */
export const STATE_DIR = '.atomicfs';
export const STAGE_SUFFIX = '.atomicfs-stage';

// Keep the whole name under NAME_MAX (255) whatever the target's name.
const MAX_BASE = 100;

const TEMP_RE = /^\..*\.(\d+)-[0-9a-f]{12}\.atomicfs-tmp$/;

export function randomId(bytes = 6): string {
  return randomBytes(bytes).toString('hex');
}

// Temp names count up from a random 48-bit start: unique within the process without a
// call into the random generator per write, and unguessable enough across processes
// together with the pid. Kept as two 24-bit halves, each a small integer, so that the
// hex of the low half is all that changes per name.
let high = randomBytes(3).readUIntBE(0, 3);
let highHex = hex6(high);
let low = randomBytes(3).readUIntBE(0, 3);

function hex6(n: number): string {
  return n.toString(16).padStart(6, '0');
}

/** A fresh temporary name beside `target`. */
export function tempPathFor(target: string): string {
  low = (low + 1) & 0xffffff;
  if (low === 0) highHex = hex6((high = (high + 1) & 0xffffff));
  const name = `.${basename(target).slice(0, MAX_BASE)}.${process.pid}-${highHex}${hex6(low)}${TEMP_SUFFIX}`;
  if (!isAbsolute(target)) return join(dirname(target), name);
  // An absolute target's folder needs no normalising again.
  const dir = dirname(target);
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

/** A staged-file name beside `target`, tagged with its transaction id. */
export function stagePathFor(target: string, txId: string): string {
  const base = basename(target).slice(0, MAX_BASE);
  return join(dirname(target), `.${base}.${txId}-${randomId()}${STAGE_SUFFIX}`);
}

/** The pid encoded in a temporary file's name, or undefined if the name is not ours. */
export function parseTempName(name: string): { pid: number } | undefined {
  const m = TEMP_RE.exec(name);
  return m?.[1] === undefined ? undefined : { pid: Number(m[1]) };
}

export function isStageName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(STAGE_SUFFIX);
}
