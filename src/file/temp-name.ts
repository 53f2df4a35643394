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
let low = randomBytes(3).readUIntBE(0, 3);

/** Two hex digits per byte value: a name's hex without a number-to-text conversion each time. */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

function hex6(n: number): string {
  return HEX[n >>> 16]! + HEX[(n >>> 8) & 0xff]! + HEX[n & 0xff]!;
}

/** Whether paths here are POSIX ones: `/` their one separator. */
const POSIX = sep === '/';

/**
 * The part of a temp name that a target and the high half fix, for the last target named:
 * a file written again and again (a state file, a config) makes it once.
 */
let lastTarget: string | undefined;
let lastHead = '';

/** A fresh temporary name beside `target`. */
export function tempPathFor(target: string): string {
  low = (low + 1) & 0xffffff;
  if (low === 0) {
    high = (high + 1) & 0xffffff;
    lastTarget = undefined;
  }
  if (target !== lastTarget) {
    lastHead = headOf(target, `.${process.pid}-${hex6(high)}`);
    lastTarget = target;
  }
  return lastHead + hex6(low) + TEMP_SUFFIX;
}

/** `target`'s folder, then the hidden name's start: its base name and `tag`. */
function headOf(target: string, tag: string): string {
  // An absolute POSIX path splits into folder and name at its last slash: what dirname and
  // basename would give, without walking the path twice.
  const cut = POSIX && target.startsWith('/') ? target.lastIndexOf('/') : -1;
  if (cut >= 0 && cut < target.length - 1)
    return `${target.slice(0, cut + 1)}.${target.slice(cut + 1, cut + 1 + MAX_BASE)}${tag}`;
  const name = `.${basename(target).slice(0, MAX_BASE)}${tag}`;
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
