/**
 * The one check of every public call's options bag. Each option name has one meaning and
 * one value check (OPTION_KINDS); each call lists the names it takes (CALL_OPTIONS). A
 * name a call does not know is refused with EINVAL naming it and the nearest known name:
 * a misspelt `timeout` must never mean "wait forever", nor `indent` be dropped silently.
 *
 * Adding an option to a call is one line: its name in the call's list below (and, for a
 * new name, its value check in OPTION_KINDS).
 */
import { invalidArg } from './errors.js';

type Check = (value: unknown) => string | undefined;

const isBool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
const isFn: Check = (v) => (typeof v === 'function' ? undefined : 'must be a function');
const isObject: Check = (v) => (typeof v === 'object' && v !== null ? undefined : 'must be an object');
const isMs: Check = (v) => (typeof v === 'number' && v >= 0 ? undefined : 'must be a number of milliseconds >= 0');
const isCount: Check = (v) => (Number.isInteger(v) && (v as number) >= 1 ? undefined : 'must be an integer >= 1');
const isText: Check = (v) => (typeof v === 'string' && v !== '' ? undefined : 'must be a non-empty string');
const isPath: Check = (v) =>
  (typeof v === 'string' && v !== '') || v instanceof URL ? undefined : 'must be a non-empty path or a file: URL';
const isAny: Check = () => undefined;
const hasMethod =
  (name: string): Check =>
  (v) =>
    typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)[name] === 'function'
      ? undefined
      : `must be an object with a ${name}() method`;

/** Options only an asynchronous call can honour: a synchronous one holds the thread until it returns. */
const ASYNC_ONLY: Record<string, string> = {
  signal: 'nothing else runs until it returns',
  onProgress: 'nothing else runs until it returns',
  coordinator: 'a coordination service answers asynchronously only',
};

/** Hook objects a synchronous call can only call through their synchronous method. */
const SYNC_METHODS: Record<string, string> = { backup: 'preserveSync', audit: 'recordSync' };

/** Every option name, with its value check. `undefined` is always accepted (the default). */
const OPTION_KINDS: Record<string, Check> = {
  signal: (v) => (v instanceof AbortSignal ? undefined : 'must be an AbortSignal'),
  retry: isObject,
  disk: isObject,
  encoding: (v) =>
    typeof v === 'string' && Buffer.isEncoding(v)
      ? undefined
      : 'must be a Buffer encoding such as utf8, utf16le, latin1, base64, hex',
  mode: (v) =>
    v === false || (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0o7777)
      ? undefined
      : 'must be an integer from 0 to 0o7777, or false',
  chown: (v) =>
    v === false ||
    (typeof v === 'object' &&
      v !== null &&
      Number.isInteger((v as { uid?: unknown }).uid) &&
      Number.isInteger((v as { gid?: unknown }).gid))
      ? undefined
      : 'must be { uid, gid } (integers), or false',
  parents: isBool,
  fsync: isBool,
  verify: isBool,
  sha256: isBool,
  backup: (v) => (v === false ? undefined : hasMethod('preserve')(v)),
  audit: hasMethod('record'),
  onProgress: isFn,
  timeout: isMs,
  shared: isBool,
  staleMs: isMs,
  onCompromised: isFn,
  coordinator: hasMethod('decideCommit'),
  force: isBool,
  spaces: (v) =>
    typeof v === 'string' || (Number.isInteger(v) && (v as number) >= 0)
      ? undefined
      : 'must be a number of spaces or a string',
  replacer: isFn,
  schema: (v) =>
    typeof v === 'object' || typeof v === 'boolean' ? undefined : 'must be a JSON Schema (an object or a boolean)',
  default: isAny,
  olderThanMs: isMs,
  recursive: isBool,
  keep: isCount,
  maxAgeMs: isMs,
  graceMs: isMs,
  root: isPath,
  hardLinks: isBool,
  autoPrune: isBool,
  maxFiles: isCount,
  compress: isBool,
  strategy: (v) => (v === 'deep' || v === 'shallow' ? undefined : "must be 'deep' or 'shallow'"),
  signals: (v) =>
    Array.isArray(v) && v.every((s) => typeof s === 'string') ? undefined : 'must be an array of signal names',
  path: isPath,
  since: isAny,
  until: isAny,
  outcome: isText,
  operation: isText,
  // Checked further where it names a batch (tx/batch-name.ts); a query may give a pattern.
  name: (v) =>
    typeof v === 'string' || v instanceof RegExp ? undefined : 'must be a string (or, in a query, a RegExp)',
};

const BASE = ['signal', 'retry', 'disk'];
const WRITE = [
  ...BASE,
  'encoding',
  'mode',
  'chown',
  'parents',
  'fsync',
  'verify',
  'sha256',
  'backup',
  'audit',
  'onProgress',
];
const ENCODE = ['spaces', 'replacer', 'schema'];
/** A transaction's staged write: backup, audit and disk belong to the transaction; no result to hash; parent folders are always made. */
const TX_WRITE = WRITE.filter((n) => !['backup', 'audit', 'disk', 'sha256', 'parents'].includes(n));
const TX = ['root', 'name', 'backup', 'audit', 'signal', 'retry', 'timeout', 'disk', 'coordinator'];
const QUERY = ['path', 'name', 'since', 'until', 'outcome', 'operation'];

/** The option names each public call takes. */
const CALL_OPTIONS = {
  writeFile: WRITE,
  createFile: WRITE,
  atomicWrite: WRITE,
  copyFile: WRITE.filter((n) => n !== 'encoding'),
  moveFile: [...BASE, 'mode', 'chown', 'parents', 'fsync', 'verify', 'backup', 'audit', 'onProgress'],
  readFile: [...BASE, 'encoding'],
  deleteFile: [...BASE, 'force', 'fsync', 'backup', 'audit'],
  sha256File: BASE,
  cleanupTemps: ['disk', 'signal', 'olderThanMs', 'recursive'],
  lock: [...BASE, 'timeout', 'shared', 'staleMs', 'onCompromised', 'coordinator'],
  check: ['disk', 'staleMs'],
  unlock: ['disk'],
  writeJson: [...WRITE, ...ENCODE],
  writeYaml: [...WRITE, ...ENCODE],
  readJson: [...BASE, 'schema'],
  readYaml: [...BASE, 'schema'],
  updateJson: [...WRITE, ...ENCODE, 'default', 'timeout', 'coordinator'],
  mergeConfigs: [...WRITE.filter((n) => n !== 'sha256'), 'strategy', 'schema'],
  rotateFile: ['disk', 'maxFiles', 'compress'],
  BackupStore: ['keep', 'maxAgeMs', 'root', 'graceMs', 'hardLinks', 'autoPrune', 'disk'],
  'BackupStore.restore': ['root', 'name', 'audit', 'backup', 'signal', 'timeout'],
  'BackupStore.list': ['name', 'operation'],
  AuditLog: ['disk', 'timeout'],
  'AuditLog.entries': QUERY,
  'AuditLog.summary': QUERY,
  transaction: TX,
  withTransaction: TX,
  guard: ['root', 'name', 'audit', 'signal', 'retry', 'timeout', 'disk', 'coordinator'],
  recover: [...BASE, 'timeout', 'audit', 'coordinator'],
  handleSignals: ['signals'],
  'tx.writeFile': TX_WRITE,
  'tx.createFile': TX_WRITE,
  'tx.copyFile': TX_WRITE.filter((n) => n !== 'encoding'),
  'tx.moveFile': TX_WRITE.filter((n) => n !== 'encoding'),
  'tx.writeJson': [...TX_WRITE, ...ENCODE],
  'tx.writeYaml': [...TX_WRITE, ...ENCODE],
  'tx.deleteFile': ['force'],
} satisfies Record<string, readonly string[]>;

export type OptionsCall = keyof typeof CALL_OPTIONS;

const known = new Map<string, ReadonlySet<string>>(
  Object.entries(CALL_OPTIONS).map(([call, names]) => [call, new Set(names)]),
);

/** The option names `call` takes (for documentation and tests). */
export function optionNames(call: OptionsCall): readonly string[] {
  return CALL_OPTIONS[call];
}

/** Every call with an options bag. */
export function optionCalls(): OptionsCall[] {
  return Object.keys(CALL_OPTIONS) as OptionsCall[];
}

/**
 * Names the peers (write-file-atomic, atomically, steno, proper-lockfile, fs-extra, node:fs)
 * use for what atomicfs calls otherwise, for the hint; see docs/COMPARED.md.
 */
const PEER_NAMES: Record<string, string> = {
  lockTimeout: 'timeout',
  // atomically's `timeout` bounds its retries: here that is `retry` (a call that waits for a lock knows `timeout`).
  timeout: 'retry',
  wait: 'timeout',
  timeoutMs: 'timeout',
  indent: 'spaces',
  stale: 'staleMs',
  retries: 'retry',
  mkdirp: 'parents',
  createParents: 'parents',
  recursive: 'parents',
  fsyncWait: 'fsync',
  onCompromise: 'onCompromised',
  compromised: 'onCompromised',
};

/** EINVAL unless `opts` is undefined or an object whose every name `call` knows and whose values fit. */
export function checkOptions(
  call: OptionsCall,
  op: string,
  path: string | undefined,
  opts: unknown,
  sync = false,
): void {
  if (opts === undefined) return;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw invalidArg(
      op,
      path,
      `options must be an object, got ${typeof opts === 'string' ? `the string ${JSON.stringify(opts)} (for an encoding, pass { encoding: ${JSON.stringify(opts)} })` : JSON.stringify(opts)}`,
    );
  }
  const names = known.get(call)!;
  for (const name of Object.keys(opts)) {
    if (!names.has(name)) throw invalidArg(op, path, `unknown option ${JSON.stringify(name)}${hint(name, names)}`);
    const value = (opts as Record<string, unknown>)[name];
    if (value === undefined) continue;
    const asyncOnly = sync ? ASYNC_ONLY[name] : undefined;
    if (asyncOnly !== undefined)
      throw invalidArg(op, path, `option ${name} is not taken by a synchronous call: ${asyncOnly}`);
    const twin = sync ? SYNC_METHODS[name] : undefined;
    if (twin !== undefined && value !== false && typeof (value as Record<string, unknown>)[twin] !== 'function')
      throw invalidArg(op, path, `option ${name} must have a ${twin}() method for a synchronous call`);
    const problem = OPTION_KINDS[name]?.(value);
    if (problem !== undefined) throw invalidArg(op, path, `option ${name} ${problem}, got ${shown(value)}`);
  }
}

function shown(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number') return `${value}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** "; did you mean …?" with the nearest known name, else the list of known names. */
function hint(name: string, names: ReadonlySet<string>): string {
  const peer = PEER_NAMES[name];
  if (peer !== undefined && names.has(peer))
    return `; did you mean ${JSON.stringify(peer)}? (the known options: ${[...names].join(', ')})`;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of names) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const near = best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3));
  return `${near ? `; did you mean ${JSON.stringify(best)}?` : ''} (the known options: ${[...names].join(', ')})`;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
