/**
 * The journal: one file per transaction (or guard), `<root>/.atomicfs/<id>.journal`, so
 * that disjoint transactions never share one. It is a few JSON lines, each appended and
 * synced as one step:
 *
 *   1. the intent: every path the transaction will create, replace or remove, and the
 *      name of every staged file and backup link, written before any of them exists;
 *   2. a mark `commit` (guard: `ready`) holding the SHA-256 of every byte before it.
 *      Once it is durable the transaction is committed: THE commit point;
 *   3. optionally a mark `abort` (the commit was undone in process) or `done` (a guard's
 *      code succeeded), again with the SHA-256 of everything before it.
 *
 * A mark whose checksum does not match is not a mark: a torn append. Reading refuses,
 * with EJOURNAL, a journal that cannot be one this code wrote for this root.
 */
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';
import type { Disk, DiskFile } from '../disk/index.js';
import { AtomicError, errorCode, fsError } from '../base/errors.js';
import { sha256Hex } from '../base/sha256.js';
import { isStageName } from '../file/temp-name.js';
import { syncDirAlone } from '../file/dir-sync.js';
import { closeQuietly } from '../file/open-read.js';
import { isInside, stateDirOf } from './root-paths.js';
import { isTxId } from './owner.js';
import { all, type Dual } from '../disk/dual.js';
import * as io from '../disk/io.js';

/** A transaction's change to one target. `backup`: a hard link to the file it replaces or removes. */
export type TxOp =
  | { kind: 'put'; target: string; stage: string; backup?: string | undefined; create?: boolean | undefined }
  | { kind: 'delete'; target: string; backup?: string | undefined }
  | {
      kind: 'move';
      source: string;
      target: string;
      stage: string;
      backup?: string | undefined;
      sourceBackup?: string | undefined;
    };

/** A guarded file: `backup` is a synced copy of the original, null if it did not exist. */
export interface GuardOp {
  kind: 'guard';
  target: string;
  backup: string | null;
}

/**
 * `name`: the batch's name, if given; `hashes`: SHA-256 of each touched file before the
 * transaction (null: absent), kept when it is audited. Both only feed the audit entries
 * that recovery writes.
 */
/** What every journal's intent line says, whichever kind it is. */
interface IntentBase {
  v: 1;
  id: string;
  root: string;
  pid: number;
  createdAt: number;
  name?: string | undefined;
  hashes?: Record<string, string | null> | undefined;
}

export type Intent = (IntentBase & { type: 'tx'; ops: TxOp[] }) | (IntentBase & { type: 'guard'; ops: GuardOp[] });

export type Mark = 'commit' | 'ready' | 'abort' | 'done';

export interface JournalState {
  /** Undefined when the intent itself is torn: nothing it would have named was created. */
  intent: Intent | undefined;
  /** Valid marks, in order. */
  marks: Mark[];
  /** Bytes follow the last valid record but do not form one (a torn append). */
  tornTail: boolean;
}

export const JOURNAL_SUFFIX = '.journal';

export function journalPathFor(realRoot: string, id: string): string {
  return join(stateDirOf(realRoot), id + JOURNAL_SUFFIX);
}

export function idOfJournal(name: string): string | undefined {
  if (!name.endsWith(JOURNAL_SUFFIX)) return undefined;
  const id = name.slice(0, -JOURNAL_SUFFIX.length);
  return isTxId(id) ? id : undefined;
}

export function badJournal(path: string, problem: string): AtomicError {
  return new AtomicError('EJOURNAL', `journal ${path}: ${problem}; recovery refuses it and changes nothing`, { path });
}

/** Every file a journal names: targets, sources, staged files, backups. */
export function namedPaths(intent: Intent): { touched: string[]; owned: string[] } {
  const touched: string[] = [];
  const owned: string[] = [];
  for (const op of intent.ops) {
    touched.push(op.target);
    if (op.kind === 'move') touched.push(op.source);
    for (const p of ownedBy(op)) owned.push(p);
  }
  return { touched, owned };
}

/** The files an op created for itself (staged files, backups): the only ones recovery may remove unasked. */
export function ownedBy(op: TxOp | GuardOp): string[] {
  const out: (string | null | undefined)[] = [];
  if (op.kind === 'guard') out.push(op.backup);
  else {
    out.push(op.backup);
    if (op.kind !== 'delete') out.push(op.stage);
    if (op.kind === 'move') out.push(op.sourceBackup);
  }
  return out.filter((p): p is string => typeof p === 'string');
}

const EMPTY = Buffer.alloc(0);

/** An open journal being written by its owner. */
export class JournalWriter {
  /** Everything written so far: marks carry its checksum. */
  private content = EMPTY;

  private constructor(
    private readonly disk: Disk,
    readonly path: string,
    private file: DiskFile | undefined,
  ) {}

  /** Creates the journal holding `intent`, durably: the file synced and its entry in the folder too. */
  static *create(disk: Disk, path: string, intent: Intent): Dual<JournalWriter> {
    yield* ensureStateDir(disk, dirname(path));
    let file: DiskFile;
    try {
      file = yield* io.open(disk, path, 'wx', 0o600);
    } catch (err) {
      throw fsError(err, 'transaction', path);
    }
    const w = new JournalWriter(disk, path, file);
    try {
      yield* w.append(JSON.stringify(intent), false);
      // The intent must be on disk, under its name, before any staged file exists:
      // otherwise a crash could leave staged files that no journal names. Both syncs
      // are independent, so they run at once.
      yield* all([io.fsync(file), syncDirAlone(disk, dirname(path))]);
    } catch (err) {
      yield* w.close();
      // Best effort: a journal left here names nothing that exists; recovery drops it.
      try {
        yield* io.unlink(disk, path);
      } catch {
        // See above.
      }
      throw fsError(err, 'transaction', path);
    }
    return w;
  }

  /** Appends a mark with the checksum of everything before it, and syncs it. */
  *mark(mark: Mark): Dual<void> {
    try {
      yield* this.append(JSON.stringify({ mark, sha256: sha256Hex(this.content) }), true);
    } catch (err) {
      throw fsError(err, 'transaction', this.path);
    }
  }

  private *append(line: string, sync: boolean): Dual<void> {
    if (!this.file) throw new AtomicError('EINVAL', `journal ${this.path}: already closed`, { path: this.path });
    const bytes = Buffer.from(line + '\n');
    yield* io.write(this.file, bytes, this.content.byteLength);
    // A mark counts only once it is durable: the commit point is this sync returning.
    if (sync) yield* io.fsync(this.file);
    this.content = Buffer.concat([this.content, bytes]);
  }

  *close(): Dual<void> {
    const f = this.file;
    this.file = undefined;
    this.content = EMPTY;
    if (f) yield* closeQuietly(f);
  }

  /** Closes and removes the journal durably: the last step of a commit or a rollback. */
  *remove(): Dual<void> {
    yield* this.close();
    yield* removeJournal(this.disk, this.path);
  }
}

/**
 * Removes a journal for good. Its removal must be durable before the files it names are
 * used again: a journal that came back after a crash would replay its deletes.
 */
export function* removeJournal(disk: Disk, path: string): Dual<void> {
  try {
    yield* io.unlink(disk, path);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw fsError(err, 'remove journal', path);
  }
  // Make the removal durable (see above).
  try {
    yield* syncDirAlone(disk, dirname(path));
  } catch (err) {
    throw fsError(err, 'remove journal', path);
  }
}

export function* ensureStateDir(disk: Disk, dir: string): Dual<void> {
  try {
    yield* io.mkdir(disk, dir, 0o700);
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return;
    throw fsError(err, 'create journal folder', dir);
  }
  // A journal in a folder whose own entry could vanish at a crash would vanish with it.
  try {
    yield* syncDirAlone(disk, dirname(dir));
  } catch (err) {
    throw fsError(err, 'create journal folder', dir);
  }
}

/** Splits the journal into complete lines, each with the bytes that precede it. */
function linesOf(bytes: Buffer): { text: string; before: Buffer }[] {
  const out: { text: string; before: Buffer }[] = [];
  let start = 0;
  for (;;) {
    const nl = bytes.indexOf(0x0a, start);
    if (nl < 0) break;
    out.push({ text: bytes.subarray(start, nl).toString('utf8'), before: bytes.subarray(0, start) });
    start = nl + 1;
  }
  return out;
}

type MarkLine = { mark: string; sha256: string };

/** A complete mark record (whatever its checksum), or undefined for anything else (a torn append). */
function markShaped(text: string): MarkLine | undefined {
  try {
    const v = JSON.parse(text) as Partial<MarkLine> | null;
    if (typeof v !== 'object' || v === null || typeof v.mark !== 'string' || typeof v.sha256 !== 'string')
      return undefined;
    return /^[0-9a-f]{64}$/.test(v.sha256) ? (v as MarkLine) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads and checks a journal. A torn tail (an append cut short by a crash: bytes that do
 * not form a complete record) is reported, not refused. A complete record whose checksum
 * does not match, or anything this code could not have written for this root, is
 * refused with EJOURNAL: the journal was damaged after it was written.
 */
export function parseJournal(bytes: Buffer, path: string, realRoot: string, id: string): JournalState {
  const lines = linesOf(bytes);
  const first = lines[0];
  let intent: Intent | undefined;
  try {
    intent = first === undefined ? undefined : (JSON.parse(first.text) as Intent);
  } catch {
    intent = undefined;
  }
  if (intent === undefined) {
    // A torn intent: its sync never returned, so nothing it names was ever created. A
    // complete mark after it, though, means the journal was whole once and then damaged.
    if (lines.slice(1).some((l) => markShaped(l.text))) throw badJournal(path, 'its first record is damaged');
    return { intent: undefined, marks: [], tornTail: bytes.length > 0 };
  }
  checkIntent(intent, path, realRoot, id);
  const marks: Mark[] = [];
  let consumed = Buffer.byteLength(first?.text ?? '') + 1;
  for (const [i, line] of lines.entries()) {
    if (i === 0) continue;
    const m = markShaped(line.text);
    if (m === undefined) {
      if (lines.slice(i + 1).some((l) => markShaped(l.text)))
        throw badJournal(path, 'a record in the middle is damaged');
      break;
    }
    if (m.sha256 !== sha256Hex(line.before)) throw badJournal(path, `its ${m.mark} record fails its checksum`);
    if (!['commit', 'ready', 'abort', 'done'].includes(m.mark)) throw badJournal(path, `unknown record ${m.mark}`);
    marks.push(m.mark as Mark);
    consumed += Buffer.byteLength(line.text) + 1;
  }
  checkMarkOrder(marks, intent.type, path);
  return { intent, marks, tornTail: consumed < bytes.length };
}

function checkMarkOrder(marks: Mark[], type: 'tx' | 'guard', path: string): void {
  const allowed = type === 'tx' ? [['commit'], ['commit', 'abort']] : [['ready'], ['ready', 'done']];
  if (marks.length === 0) return;
  if (!allowed.some((a) => a.length === marks.length && a.every((m, i) => m === marks[i]))) {
    throw badJournal(path, `unexpected records ${marks.join(', ')}`);
  }
}

function checkIntent(intent: Intent, path: string, realRoot: string, id: string): void {
  if (typeof intent !== 'object' || intent === null || intent.v !== 1) throw badJournal(path, 'unknown format');
  if (intent.type !== 'tx' && intent.type !== 'guard') throw badJournal(path, 'unknown journal type');
  if (intent.id !== id) throw badJournal(path, 'its id does not match its name');
  if (intent.root !== realRoot) throw badJournal(path, `it belongs to root ${String(intent.root)}`);
  if (intent.name !== undefined && typeof intent.name !== 'string') throw badJournal(path, 'its name is not a string');
  const hashes = intent.hashes as unknown;
  if (
    hashes !== undefined &&
    (typeof hashes !== 'object' ||
      hashes === null ||
      !Object.values(hashes).every((h) => h === null || (typeof h === 'string' && /^[0-9a-f]{64}$/.test(h))))
  ) {
    throw badJournal(path, 'its hashes are malformed');
  }
  if (!Array.isArray(intent.ops) || intent.ops.length === 0) throw badJournal(path, 'it lists no operations');
  for (const op of intent.ops as (TxOp | GuardOp)[]) checkOp(op, path, realRoot, id, intent.type);
}

function checkOp(op: TxOp | GuardOp, path: string, realRoot: string, id: string, type: 'tx' | 'guard'): void {
  const kinds = type === 'tx' ? ['put', 'delete', 'move'] : ['guard'];
  if (typeof op !== 'object' || op === null || !kinds.includes(op.kind)) throw badJournal(path, 'unknown operation');
  const inRoot = (p: unknown): boolean =>
    typeof p === 'string' &&
    isAbsolute(p) &&
    normalize(p) === p &&
    isInside(realRoot, p) &&
    !isInside(stateDirOf(realRoot), p);
  if (!inRoot(op.target)) throw badJournal(path, `path ${String(op.target)} is outside its root`);
  if (op.kind === 'move' && !inRoot(op.source)) throw badJournal(path, `path ${String(op.source)} is outside its root`);
  // Recovery removes staged files and backups: only ever files of this very transaction,
  // beside the file they belong to, so a forged journal cannot make it delete anything else.
  const beside = (p: string, of: string): boolean =>
    inRoot(p) && dirname(p) === dirname(of) && isStageName(basename(p)) && basename(p).includes(`.${id}-`);
  const check = (p: string | null | undefined, of: string): void => {
    if (p === undefined || p === null) return;
    if (!beside(p, of)) throw badJournal(path, `staged file ${String(p)} is not one of its own`);
  };
  if (op.kind === 'guard') check(op.backup, op.target);
  else {
    check(op.backup, op.target);
    if (op.kind !== 'delete') {
      if (typeof op.stage !== 'string') throw badJournal(path, 'an operation has no staged file');
      check(op.stage, op.target);
    }
    if (op.kind === 'move') check(op.sourceBackup, op.source);
  }
}
