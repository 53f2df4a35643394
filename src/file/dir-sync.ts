/**
 * Directory syncs with group commit. A rename is durable only once its directory is
 * synced by an fsync that *starts after* the rename. Callers that arrive while a sync of
 * the same directory is running cannot use it (it may have started before their rename),
 * so they all share the next one: N concurrent writers into one folder cost about two
 * directory syncs instead of N.
 *
 * Writers can do better than two by announcing a rename that is near (expectRename: its
 * file is being synced). The next sync first waits for the renames announced when it is
 * about to start, so writers that finish together share one sync; renames announced later
 * are not waited for, so a steady stream of writers cannot hold a sync back.
 */
import type { Disk, DiskDir } from '../disk/index.js';
import * as io from '../disk/io.js';
import { all, runSync, step, type Dual, type Forms } from '../disk/dual.js';
import { fsError } from '../base/errors.js';

interface DirState {
  running: Promise<void> | undefined;
  next: Promise<void> | undefined;
  /** Announced renames into the folder, each settled once done or abandoned. */
  expected: Set<Promise<void>>;
}

const states = new WeakMap<Disk, Map<string, DirState>>();

function stateOf(disk: Disk, dir: string): DirState {
  let byDir = states.get(disk);
  if (!byDir) states.set(disk, (byDir = new Map<string, DirState>()));
  let state = byDir.get(dir);
  if (!state) byDir.set(dir, (state = { running: undefined, next: undefined, expected: new Set() }));
  return state;
}

/** No sync running or queued, and no rename announced but `own` of the caller's. */
function isIdle(state: DirState, own = 0): boolean {
  return !state.running && !state.next && state.expected.size <= own;
}

function forgetIfIdle(disk: Disk, dir: string, state: DirState): void {
  if (isIdle(state)) states.get(disk)?.delete(dir);
}

function start(disk: Disk, dir: string, state: DirState, opened?: Promise<DiskDir | undefined>): Promise<void> {
  const run = (opened ? syncOpened(disk, dir, opened) : disk.syncDir(dir)).finally(() => {
    if (state.running === run) state.running = undefined;
    forgetIfIdle(disk, dir, state);
  });
  state.running = run;
  return run;
}

async function syncOpened(disk: Disk, dir: string, opened: Promise<DiskDir | undefined>): Promise<void> {
  const handle = await opened;
  if (!handle) return disk.syncDir(dir);
  try {
    await handle.sync();
  } finally {
    dropOpened(opened);
  }
}

/** Closes a folder from `openAhead` that will not be synced, in the background. */
export function dropOpened(opened: Promise<DiskDir | undefined> | undefined): void {
  // A read-only directory descriptor: a failing close loses nothing.
  opened?.then((handle) => handle?.close()).catch(() => undefined);
}

/**
 * Opens `dir` for the sync that will follow a rename into it, so that the open runs
 * alongside the rename instead of after it. Only when that sync would likely start at
 * once: no sync of the folder running or queued, and no rename announced into it but
 * the caller's own (`announced`); a writer that joins a shared sync would only waste the
 * open. Never rejects: a failed open leaves the sync to `Disk.syncDir`, which reports it.
 *
 * A directory opened before the rename is still the one synced after it: the sync is
 * on the directory's inode, and the rename, by path, lands in the same inode unless the
 * folder itself is replaced meanwhile (as it could be just after the rename, too).
 */
export function openAhead(disk: Disk, dir: string, announced: boolean): Promise<DiskDir | undefined> | undefined {
  if (!disk.openDir || !disk.capabilities.dirSync) return undefined;
  const state = stateOf(disk, dir);
  const alone = isIdle(state, announced ? 1 : 0);
  forgetIfIdle(disk, dir, state);
  if (!alone) return undefined;
  return disk.openDir(dir).catch(() => undefined);
}

/**
 * Announces a rename into `dir` that is near; the returned function must be called once
 * it is done or abandoned. Only for a rename that waits on nothing but its own file's
 * sync: the next directory sync waits for it.
 */
export function expectRename(disk: Disk, dir: string): () => void {
  const state = stateOf(disk, dir);
  let settle!: () => void;
  const rename = new Promise<void>((resolve) => (settle = resolve));
  state.expected.add(rename);
  return () => {
    state.expected.delete(rename);
    settle();
    forgetIfIdle(disk, dir, state);
  };
}

/**
 * Makes every entry change already done in `dir` durable. `opened`, from `openAhead`, is
 * used if the sync starts at once, and closed otherwise.
 *
 * Where the platform cannot sync a folder (Windows), this does nothing: the change is
 * made, and its durability is the file system's (README, "Guarantees"); failing a write
 * whose target is already replaced would only tell the caller something untrue.
 *
 * Driven synchronously, the folder is synced at once, alone: nothing else runs meanwhile
 * that could share it, and a sync already running for asynchronous writers may have
 * started before this caller's rename.
 */
export function syncDirectory(disk: Disk, dir: string, opened?: Promise<DiskDir | undefined>): Dual<void> {
  return step(SYNC_DIRECTORY, disk, dir, opened);
}

const SYNC_DIRECTORY: Forms<void, Disk, string, Promise<DiskDir | undefined> | undefined> = {
  sync(disk, dir) {
    if (!disk.capabilities.dirSync) return;
    try {
      runSync(io.syncDir(disk, dir));
    } catch (err) {
      throw fsError(err, 'fsync directory', dir);
    }
  },
  async: syncShared,
};

/** syncDirectory driven asynchronously: group commit. */
async function syncShared(disk: Disk, dir: string, opened?: Promise<DiskDir | undefined>): Promise<void> {
  if (!disk.capabilities.dirSync) return dropOpened(opened);
  const state = stateOf(disk, dir);
  try {
    // Nothing running, nobody on the way: start at once (a lone writer's case).
    if (isIdle(state)) return await start(disk, dir, state, opened);
    dropOpened(opened);
    // Join the next sync, which starts once the running one (it may have started before
    // our rename) is over and the renames announced by then have happened.
    state.next ??= (state.running ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => Promise.all(state.expected))
      .then(() => {
        state.next = undefined;
        return start(disk, dir, state);
      });
    return await state.next;
  } catch (err) {
    throw fsError(err, 'fsync directory', dir);
  }
}

/** A single directory sync, without group commit; nothing where folders cannot be synced (see syncDirectory). */
export function* syncDirAlone(disk: Disk, dir: string): Dual<void> {
  if (disk.capabilities.dirSync) yield* io.syncDir(disk, dir);
}

/** Syncs several directories in parallel, each once. */
export function* syncDirectories(disk: Disk, dirs: Iterable<string>): Dual<void> {
  yield* all([...new Set(dirs)].map((d) => syncDirectory(disk, d)));
}
