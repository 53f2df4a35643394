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
import type { Disk } from '../disk/index.js';
import { errorCode, fsError } from '../base/errors.js';
import { diskOf, type BaseOptions } from '../file/options.js';
import { idOfJournal, journalPathFor, namedPaths, parseJournal, removeJournal, type JournalState } from './journal.js';
import { readWhole } from '../file/read-file.js';
import type { LockOwner } from '../file/lock-link.js';
import { lockAll } from './locks.js';
import { clearDeadOwners } from './lock-owner.js';
import { mayBeAlive } from './owner.js';
import { openRoot, stateDirOf } from './root-paths.js';
import { removeOwned, restoreGuarded, rollForward } from './apply.js';
import type { AuditHook, AuditRecord } from '../file/hooks.js';
import { recoveredFiles, recoveryRecord } from './recover-audit.js';
import { deadDirsIds, dirsRecordPathFor, readDirsRecord, removeDirsRecord, removeEmptyDirs } from './parent-dirs.js';

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
}

async function stateNames(disk: Disk, realRoot: string): Promise<string[]> {
  try {
    return await disk.readdir(stateDirOf(realRoot));
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return [];
    throw fsError(err, 'recover', stateDirOf(realRoot));
  }
}

function deadJournalsIn(names: readonly string[]): string[] {
  return names
    .map(idOfJournal)
    .filter((id): id is string => id !== undefined && !mayBeAlive(id))
    .sort();
}

/** Journals of owners that are gone, by id. */
export async function deadJournals(disk: Disk, realRoot: string): Promise<string[]> {
  return deadJournalsIn(await stateNames(disk, realRoot));
}

async function readState(disk: Disk, realRoot: string, id: string): Promise<JournalState | undefined> {
  const path = journalPathFor(realRoot, id);
  let bytes: Buffer;
  try {
    bytes = await readWhole(disk, path, 'recover');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined; // finished or recovered by someone else
    throw fsError(err, 'recover', path);
  }
  return parseJournal(bytes, path, realRoot, id);
}

/** Rolls back or forward every abandoned transaction under `root`; see the module comment. */
export async function recover(root: string, opts: RecoverOptions = {}): Promise<RecoverReport> {
  const disk = diskOf(opts);
  const realRoot = await openRoot(disk, root, 'recover');
  return recoverRoot(disk, realRoot, opts);
}

export async function recoverRoot(disk: Disk, realRoot: string, opts: RecoverOptions = {}): Promise<RecoverReport> {
  const report: RecoverReport = { rolledBack: 0, rolledForward: 0, tempsRemoved: 0 };
  const names = await stateNames(disk, realRoot);
  const ids = deadJournalsIn(names);
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
    const release = await lockAll(paths, { disk, timeout: opts.timeout, signal: opts.signal });
    let record: AuditRecord | undefined;
    try {
      const state = await readState(disk, realRoot, id);
      if (state) {
        const forward = rollsForward(state);
        // Read before the replay changes them.
        const files = opts.audit && state.intent ? await recoveredFiles(disk, state.intent, forward) : [];
        await replay(disk, journalPathFor(realRoot, id), state, report);
        record = recoveryRecord(state.intent, id, forward, files);
      }
    } finally {
      await release();
    }
    if (record && opts.audit) await opts.audit.record(record);
  }
  await clearDeadOwners(disk, realRoot);
  // Last, with the dead transactions' journals replayed and their locks cleared: only
  // then are the folders of a rolled-back one empty (see parent-dirs.ts).
  for (const id of deadDirsIds(names, mayBeAlive)) {
    const record = dirsRecordPathFor(realRoot, id);
    await removeEmptyDirs(disk, await readDirsRecord(disk, realRoot, record), true);
    await removeDirsRecord(disk, record);
  }
  return report;
}

/** Whether recovery completes this journal's batch (else it undoes it). */
function rollsForward(state: JournalState): boolean {
  const last = state.marks[state.marks.length - 1];
  return state.intent !== undefined && (state.intent.type === 'tx' ? last === 'commit' : last === 'done');
}

async function replay(disk: Disk, path: string, state: JournalState, report: RecoverReport): Promise<void> {
  const intent = state.intent;
  if (!intent) {
    // Torn intent: no staged file was ever created (they are made after it is synced).
    await removeJournal(disk, path);
    report.rolledBack++;
    return;
  }
  const last = state.marks[state.marks.length - 1];
  if (intent.type === 'tx') {
    if (last === 'commit') {
      report.tempsRemoved += await rollForward(disk, intent.ops);
      report.rolledForward++;
    } else {
      report.tempsRemoved += await removeOwned(disk, intent.ops);
      report.rolledBack++;
    }
  } else if (last === 'ready') {
    await restoreGuarded(disk, intent.ops);
    report.tempsRemoved += await removeOwned(disk, intent.ops);
    report.rolledBack++;
  } else {
    report.tempsRemoved += await removeOwned(disk, intent.ops);
    if (last === 'done') report.rolledForward++;
    else report.rolledBack++;
  }
  await removeJournal(disk, path);
}

/**
 * Locks every path, then makes sure no dead transaction's journal still holds changes:
 * one that committed before us but was never applied must be applied before we read or
 * replace those files. Recovery takes locks of its own, so ours are released meanwhile.
 */
export async function lockSettled(disk: Disk, realRoot: string, paths: string[], opts: RecoverOptions, owner?: LockOwner): Promise<() => Promise<void>> {
  for (;;) {
    const release = await lockAll(paths, { disk, timeout: opts.timeout, signal: opts.signal, owner });
    let dead: string[];
    try {
      dead = await deadJournals(disk, realRoot);
    } catch (err) {
      await release();
      throw err;
    }
    if (dead.length === 0) return release;
    await release();
    await recoverRoot(disk, realRoot, opts);
  }
}
