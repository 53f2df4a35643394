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
import { lockAll } from './locks.js';
import { clearDeadOwners } from './lock-owner.js';
import { ownerMayBeAlive } from './owner.js';
import type { Coordinator } from '../lock/coordinator.js';
import { openRoot, stateDirOf } from './root-paths.js';
import { removeOwned, restoreGuarded, rollForward } from './apply.js';
import type { AuditHook, AuditRecord } from '../file/hooks.js';
import { recoveredFiles, recoveryRecord } from './recover-audit.js';
import {
  deadDirsIds,
  dirsRecordPathFor,
  idOfDirsRecord,
  readDirsRecord,
  removeDirsRecord,
  removeEmptyDirs,
} from './parent-dirs.js';
import { runAsync } from '../disk/dual.js';

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

async function stateNames(disk: Disk, realRoot: string): Promise<string[]> {
  try {
    return await disk.readdir(stateDirOf(realRoot));
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return [];
    throw fsError(err, 'recover', stateDirOf(realRoot));
  }
}

/** The ids among `names` whose owner may be alive (asked of the coordinator, if any). */
async function aliveIn(
  names: readonly string[],
  idOf: (name: string) => string | undefined,
  coordinator: Coordinator | undefined,
): Promise<Set<string>> {
  const ids = names.map(idOf).filter((id): id is string => id !== undefined);
  const alive = await Promise.all(ids.map((id) => ownerMayBeAlive(id, coordinator)));
  return new Set(ids.filter((_, i) => alive[i]));
}

async function deadJournalsIn(names: readonly string[], coordinator: Coordinator | undefined): Promise<string[]> {
  const alive = await aliveIn(names, idOfJournal, coordinator);
  return names
    .map(idOfJournal)
    .filter((id): id is string => id !== undefined && !alive.has(id))
    .sort();
}

/** Journals of owners that are gone, by id. */
export async function deadJournals(disk: Disk, realRoot: string, coordinator?: Coordinator): Promise<string[]> {
  return deadJournalsIn(await stateNames(disk, realRoot), coordinator);
}

async function readState(disk: Disk, realRoot: string, id: string): Promise<JournalState | undefined> {
  const path = journalPathFor(realRoot, id);
  let bytes: Buffer;
  try {
    bytes = await runAsync(readWhole(disk, path, 'recover'));
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined; // finished or recovered by someone else
    throw fsError(err, 'recover', path);
  }
  return parseJournal(bytes, path, realRoot, id);
}

/** Rolls back or forward every abandoned transaction under `root`; see the module comment. */
export async function recover(root: PathLike, opts: RecoverOptions = {}): Promise<RecoverReport> {
  checkOptions('recover', 'recover', root instanceof URL ? root.href : root, opts);
  const disk = diskOf(opts);
  const realRoot = await openRoot(disk, root, 'recover');
  return recoverRoot(disk, realRoot, opts);
}

export async function recoverRoot(disk: Disk, realRoot: string, opts: RecoverOptions = {}): Promise<RecoverReport> {
  const report: RecoverReport = { rolledBack: 0, rolledForward: 0, tempsRemoved: 0 };
  const coordinator = opts.coordinator;
  const names = await stateNames(disk, realRoot);
  const ids = await deadJournalsIn(names, coordinator);
  // Check them all first: one damaged journal stops recovery before it changes anything.
  const states = new Map<string, JournalState>();
  for (const id of ids) {
    const state = await readState(disk, realRoot, id);
    if (state) states.set(id, state);
  }
  for (const [id, first] of states) {
    const paths = first.intent ? namedPaths(first.intent).touched : [];
    // Hold the journal's paths so no transaction changes them while it is replayed, and
    // so that two recoveries of one journal run one after the other.
    const release = await lockAll(paths, { disk, timeout: opts.timeout, signal: opts.signal, coordinator });
    let record: AuditRecord | undefined;
    try {
      const state = await readState(disk, realRoot, id);
      if (state) {
        const forward = await rollsForward(state, coordinator && (() => coordinator.decideAbort(id)));
        // Read before the replay changes them.
        const files = opts.audit && state.intent ? await recoveredFiles(disk, state.intent, forward) : [];
        await replay(disk, journalPathFor(realRoot, id), state, report, forward);
        record = recoveryRecord(state.intent, id, forward, files);
      }
    } finally {
      await release();
    }
    // The journal is gone for good: nobody will ask for its decision again.
    if (coordinator) await coordinator.forget(id).catch(() => undefined);
    if (record && opts.audit) await opts.audit.record(record);
  }
  // Owner files and lock links exist only for transactions without a coordinator, and
  // their pids cannot be judged across containers.
  if (!coordinator) await clearDeadOwners(disk, realRoot);
  // Last, with the dead transactions' journals replayed and their locks cleared: only
  // then are the folders of a rolled-back one empty (see parent-dirs.ts).
  const aliveDirs = await aliveIn(names, idOfDirsRecord, coordinator);
  for (const id of deadDirsIds(names, (id) => aliveDirs.has(id))) {
    const record = dirsRecordPathFor(realRoot, id);
    await removeEmptyDirs(disk, await readDirsRecord(disk, realRoot, record), true);
    await removeDirsRecord(disk, record);
  }
  return report;
}

/**
 * Whether recovery completes this journal's batch (else it undoes it). Its own records say
 * so when they can: the owner writes `commit` (`done`) only after its decision, and `abort`
 * after undoing an apply. Without them, a coordinated batch's fate is settled in the
 * coordinator first: "aborted" is recorded unless a commit decision exists, so its owner,
 * if it is merely paused, can never commit once we roll back.
 */
async function rollsForward(state: JournalState, decide: (() => Promise<string>) | undefined): Promise<boolean> {
  const intent = state.intent;
  if (intent === undefined) return false;
  const marks = state.marks;
  if (marks.includes('abort')) return false;
  if (marks[marks.length - 1] === (intent.type === 'tx' ? 'commit' : 'done')) return true;
  // A guard whose fn never ran (no `ready`) has nothing to decide.
  if (intent.type === 'guard' && !marks.includes('ready')) return false;
  return decide !== undefined && (await decide()) === 'committed';
}

async function replay(
  disk: Disk,
  path: string,
  state: JournalState,
  report: RecoverReport,
  forward: boolean,
): Promise<void> {
  const intent = state.intent;
  if (!intent) {
    // Torn intent: no staged file was ever created (they are made after it is synced).
    await removeJournal(disk, path);
    report.rolledBack++;
    return;
  }
  if (intent.type === 'tx') {
    if (forward) {
      report.tempsRemoved += await rollForward(disk, intent.ops);
      report.rolledForward++;
    } else {
      report.tempsRemoved += await removeOwned(disk, intent.ops);
      report.rolledBack++;
    }
  } else if (!forward && state.marks.includes('ready')) {
    await restoreGuarded(disk, intent.ops);
    report.tempsRemoved += await removeOwned(disk, intent.ops);
    report.rolledBack++;
  } else {
    // fn never ran (no `ready`), or its edits are kept (`done`, or decided so): drop the copies.
    report.tempsRemoved += await removeOwned(disk, intent.ops);
    if (forward) report.rolledForward++;
    else report.rolledBack++;
  }
  await removeJournal(disk, path);
}

/**
 * Locks every path, then makes sure no dead transaction's journal still holds changes:
 * one that committed before us but was never applied must be applied before we read or
 * replace those files. Recovery takes locks of its own, so ours are released meanwhile.
 */
export async function lockSettled(
  disk: Disk,
  realRoot: string,
  paths: string[],
  opts: RecoverOptions,
  owner?: LockOwner,
  holder?: string,
): Promise<() => Promise<void>> {
  for (;;) {
    const release = await lockAll(paths, {
      disk,
      timeout: opts.timeout,
      signal: opts.signal,
      owner,
      coordinator: opts.coordinator,
      holder,
    });
    let dead: string[];
    try {
      dead = await deadJournals(disk, realRoot, opts.coordinator);
    } catch (err) {
      await release();
      throw err;
    }
    if (dead.length === 0) return release;
    await release();
    await recoverRoot(disk, realRoot, opts);
  }
}
