/**
 * Recovery: the second half of the commit protocol (commit.ts is the first). For every
 * journal under `<root>/.atomicfs/` whose owner is gone:
 *
 *   - no valid commit record: roll back (remove the staged files and backup links it
 *     names; targets were never touched);
 *   - a commit record: roll forward (redo every rename and unlink; each step idempotent);
 *   - a commit record followed by `abort`: the owner already undid its changes; roll back;
 *   - a guard with `ready`: put the originals back; with `done`: drop the copies.
 *
 * Every journal is read and checked before anything changes: if one is damaged or names
 * a path outside the root, recovery throws EJOURNAL and touches nothing.
 */
import { checkOptions } from '../base/options-check.js';
import type { PathLike } from '../file/check-path.js';
import type { Disk } from '../disk/index.js';
import { errorCode, fsError } from '../base/errors.js';
import { diskOf, type BaseOptions } from '../file/options.js';
import { idOfJournal, journalPathFor, namedPaths, parseJournal, removeJournal, type JournalState } from './journal.js';
import { readWhole } from '../file/read-file.js';
import type { LockOwner } from '../lock/lock-link.js';
import { lockAll, type ReleaseAll } from './locks.js';
import { clearDeadOwners } from './lock-owner.js';
import { ownerMayBeAlive } from './owner.js';
import type { Coordinator } from '../lock/coordinator.js';
import { openRoot, stateDirOf } from './root-paths.js';
import { removeOwned, restoreGuarded, rollForward } from './apply.js';
import { recordOf, type AuditHook, type AuditRecord } from '../file/hooks.js';
import { recoveredFiles, recoveryRecord } from './recover-audit.js';
import {
  deadDirsIds,
  dirsRecordPathFor,
  idOfDirsRecord,
  readDirsRecord,
  removeDirsRecord,
  removeEmptyDirs,
} from './parent-dirs.js';
import { all, runAsync, runSync, type Dual } from '../disk/dual.js';
import * as io from '../disk/io.js';
import { asyncOnly } from '../base/async-only.js';
import type { SyncOptions } from '../file/options.js';

export interface RecoverReport {
  /** Transactions (and guards) undone: their files are as before them. */
  rolledBack: number;
  /** Committed transactions whose changes were completed. */
  rolledForward: number;
  /** Staged files and backup copies removed. */
  tempsRemoved: number;
}

export interface RecoverOptions extends BaseOptions {
  /** Give up waiting for a journal's locks after this many ms (LockError). */
  timeout?: number | undefined;
  /** Records one entry (operation `recover`) per transaction or guard rolled back or forward. */
  audit?: AuditHook | undefined;
  /**
   * The coordination service the folder's transactions use (`etcdCoordinator`): owners'
   * liveness and commit decisions come from it. Every process using the folder must
   * use the same one.
   */
  coordinator?: Coordinator | undefined;
}

function* stateNames(disk: Disk, realRoot: string): Dual<string[]> {
  try {
    return yield* io.readdir(disk, stateDirOf(realRoot));
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return [];
    throw fsError(err, 'recover', stateDirOf(realRoot));
  }
}

/** The ids among `names` whose owner may be alive (asked of the coordinator, if any). */
function* aliveIn(
  names: readonly string[],
  idOf: (name: string) => string | undefined,
  coordinator: Coordinator | undefined,
): Dual<Set<string>> {
  const ids = names.map(idOf).filter((id): id is string => id !== undefined);
  const alive = yield* all(ids.map((id) => ownerMayBeAlive(id, coordinator)));
  return new Set(ids.filter((_, i) => alive[i]));
}

function* deadJournalsIn(names: readonly string[], coordinator: Coordinator | undefined): Dual<string[]> {
  const alive = yield* aliveIn(names, idOfJournal, coordinator);
  return names
    .map(idOfJournal)
    .filter((id): id is string => id !== undefined && !alive.has(id))
    .sort();
}

/** Journals of owners that are gone, by id. */
export function* deadJournals(disk: Disk, realRoot: string, coordinator?: Coordinator): Dual<string[]> {
  return yield* deadJournalsIn(yield* stateNames(disk, realRoot), coordinator);
}

function* readState(disk: Disk, realRoot: string, id: string): Dual<JournalState | undefined> {
  const path = journalPathFor(realRoot, id);
  let bytes: Buffer;
  try {
    bytes = yield* readWhole(disk, path, 'recover');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined; // finished or recovered by someone else
    throw fsError(err, 'recover', path);
  }
  return parseJournal(bytes, path, realRoot, id);
}

/** Rolls back or forward every abandoned transaction under `root`; see the module comment. */
export function recover(root: PathLike, opts: RecoverOptions = {}): Promise<RecoverReport> {
  return runAsync(recoverProtocol(root, opts, false));
}

/**
 * recover(), synchronously: the same protocol driven by synchronous calls, the same
 * report. Locks held by another process are waited for (blocking, up to `timeout`); a
 * lock held by this very process fails at once (nothing here could release it meanwhile).
 */
export function recoverSync(root: PathLike, opts: SyncOptions<RecoverOptions> = {}): RecoverReport {
  return runSync(recoverProtocol(root, opts, true));
}

function* recoverProtocol(root: PathLike, opts: RecoverOptions, sync: boolean): Dual<RecoverReport> {
  const shown = root instanceof URL ? root.href : root;
  checkOptions('recover', sync ? 'recoverSync' : 'recover', shown, opts, sync);
  const disk = diskOf(opts);
  const realRoot = yield* openRoot(disk, root, 'recover');
  return yield* recoverRoot(disk, realRoot, opts);
}

export function* recoverRoot(disk: Disk, realRoot: string, opts: RecoverOptions = {}): Dual<RecoverReport> {
  const report: RecoverReport = { rolledBack: 0, rolledForward: 0, tempsRemoved: 0 };
  const coordinator = opts.coordinator;
  const names = yield* stateNames(disk, realRoot);
  const ids = yield* deadJournalsIn(names, coordinator);
  // Check them all first: one damaged journal stops recovery before it changes anything.
  const states = new Map<string, JournalState>();
  for (const id of ids) {
    const state = yield* readState(disk, realRoot, id);
    if (state) states.set(id, state);
  }
  for (const [id, first] of states) {
    const paths = first.intent ? namedPaths(first.intent).touched : [];
    // Hold the journal's paths so no transaction changes them while it is replayed, and
    // so that two recoveries of one journal run one after the other.
    const release = yield* lockAll(paths, { disk, timeout: opts.timeout, signal: opts.signal, coordinator });
    let record: AuditRecord | undefined;
    try {
      const state = yield* readState(disk, realRoot, id);
      if (state) {
        const forward = yield* rollsForward(
          state,
          coordinator && (() => asyncOnly('recover', realRoot, 'a coordinator', () => coordinator.decideAbort(id))),
        );
        // Read before the replay changes them.
        const files = opts.audit && state.intent ? yield* recoveredFiles(disk, state.intent, forward) : [];
        yield* replay(disk, journalPathFor(realRoot, id), state, report, forward);
        record = recoveryRecord(state.intent, id, forward, files);
      }
    } finally {
      yield* release();
    }
    // The journal is gone for good: nobody will ask for its decision again.
    if (coordinator) yield* forgetQuietly(coordinator, id, realRoot);
    if (record && opts.audit) yield* recordOf(opts.audit, record);
  }
  // Owner files and lock links exist only for transactions without a coordinator, and
  // their pids cannot be judged across containers.
  if (!coordinator) yield* clearDeadOwners(disk, realRoot);
  // Last, with the dead transactions' journals replayed and their locks cleared: only
  // then are the folders of a rolled-back one empty (see parent-dirs.ts).
  const aliveDirs = yield* aliveIn(names, idOfDirsRecord, coordinator);
  for (const id of deadDirsIds(names, (id) => aliveDirs.has(id))) {
    const record = dirsRecordPathFor(realRoot, id);
    yield* removeEmptyDirs(disk, yield* readDirsRecord(disk, realRoot, record), true);
    yield* removeDirsRecord(disk, record);
  }
  return report;
}

function* forgetQuietly(coordinator: Coordinator, id: string, realRoot: string): Dual<void> {
  try {
    yield* asyncOnly('recover', realRoot, 'a coordinator', () => coordinator.forget(id));
  } catch {
    // Best effort: a decision kept too long is only a key nobody reads.
  }
}

/**
 * Whether recovery completes this journal's batch (else it undoes it). Its own records say
 * so when they can: the owner writes `commit` (`done`) only after its decision, and `abort`
 * after undoing an apply. Without them, a coordinated batch's fate is settled in the
 * coordinator first: "aborted" is recorded unless a commit decision exists, so its owner,
 * if it is merely paused, can never commit once we roll back.
 */
function* rollsForward(state: JournalState, decide: (() => Dual<string>) | undefined): Dual<boolean> {
  const intent = state.intent;
  if (intent === undefined) return false;
  const marks = state.marks;
  if (marks.includes('abort')) return false;
  if (marks[marks.length - 1] === (intent.type === 'tx' ? 'commit' : 'done')) return true;
  // A guard whose fn never ran (no `ready`) has nothing to decide.
  if (intent.type === 'guard' && !marks.includes('ready')) return false;
  return decide !== undefined && (yield* decide()) === 'committed';
}

function* replay(disk: Disk, path: string, state: JournalState, report: RecoverReport, forward: boolean): Dual<void> {
  const intent = state.intent;
  if (!intent) {
    // Torn intent: no staged file was ever created (they are made after it is synced).
    yield* removeJournal(disk, path);
    report.rolledBack++;
    return;
  }
  if (intent.type === 'tx') {
    if (forward) {
      report.tempsRemoved += yield* rollForward(disk, intent.ops);
      report.rolledForward++;
    } else {
      report.tempsRemoved += yield* removeOwned(disk, intent.ops);
      report.rolledBack++;
    }
  } else if (!forward && state.marks.includes('ready')) {
    yield* restoreGuarded(disk, intent.ops);
    report.tempsRemoved += yield* removeOwned(disk, intent.ops);
    report.rolledBack++;
  } else {
    // fn never ran (no `ready`), or its edits are kept (`done`, or decided so): drop the copies.
    report.tempsRemoved += yield* removeOwned(disk, intent.ops);
    if (forward) report.rolledForward++;
    else report.rolledBack++;
  }
  yield* removeJournal(disk, path);
}

/**
 * Locks every path, then makes sure no dead transaction's journal still holds changes:
 * one that committed before us but was never applied must be applied before we read or
 * replace those files. Recovery takes locks of its own, so ours are released meanwhile.
 */
export function* lockSettled(
  disk: Disk,
  realRoot: string,
  paths: string[],
  opts: RecoverOptions,
  owner?: LockOwner,
  holder?: string,
): Dual<ReleaseAll> {
  for (;;) {
    const release = yield* lockAll(paths, {
      disk,
      timeout: opts.timeout,
      signal: opts.signal,
      owner,
      coordinator: opts.coordinator,
      holder,
    });
    let dead: string[];
    try {
      dead = yield* deadJournals(disk, realRoot, opts.coordinator);
    } catch (err) {
      yield* release();
      throw err;
    }
    if (dead.length === 0) return release;
    yield* release();
    yield* recoverRoot(disk, realRoot, opts);
  }
}
