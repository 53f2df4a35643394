/**
 * Directory syncs with group commit. A rename is durable only once its directory is
 * synced by an fsync that *starts after* the rename. Callers that arrive while a sync of
 * the same directory is running cannot use it (it may have started before their rename),
 * so they all share the next one: N concurrent writers into one folder cost about two
 * directory syncs instead of N.
 */
import type { Disk } from '../disk/index.js';
import { fsError } from '../base/errors.js';

interface DirState {
  running: Promise<void> | undefined;
  next: Promise<void> | undefined;
}

const states = new WeakMap<Disk, Map<string, DirState>>();

function stateOf(disk: Disk, dir: string): DirState {
  let byDir = states.get(disk);
  if (!byDir) states.set(disk, (byDir = new Map<string, DirState>()));
  let state = byDir.get(dir);
  if (!state) byDir.set(dir, (state = { running: undefined, next: undefined }));
  return state;
}

function start(disk: Disk, dir: string, state: DirState): Promise<void> {
  const run = disk.syncDir(dir).finally(() => {
    if (state.running === run) state.running = undefined;
    if (!state.running && !state.next) states.get(disk)?.delete(dir);
  });
  state.running = run;
  return run;
}

/** Makes every entry change already done in `dir` durable. */
export async function syncDirectory(disk: Disk, dir: string): Promise<void> {
  const state = stateOf(disk, dir);
  try {
    if (!state.running) return await start(disk, dir, state);
    if (!state.next) {
      const running = state.running;
      state.next = running
        .catch(() => undefined)
        .then(() => {
          state.next = undefined;
          return start(disk, dir, state);
        });
    }
    return await state.next;
  } catch (err) {
    throw fsError(err, 'fsync directory', dir);
  }
}

/** Syncs several directories in parallel, each once. */
export async function syncDirectories(disk: Disk, dirs: Iterable<string>): Promise<void> {
  await Promise.all([...new Set(dirs)].map((d) => syncDirectory(disk, d)));
}
