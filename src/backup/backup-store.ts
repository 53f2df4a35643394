/**
 * BackupStore: the previous versions of files, kept before a write or a transaction
 * replaces or deletes them. One backup per call of `preserve` (a transaction passes all
 * its paths at once): a folder `<dir>/<id>` holding the files and, written atomically
 * LAST, `manifest.json`. A folder without a manifest is an unfinished backup: it is never
 * listed, verified as good or restored.
 * How the files are kept (hard link or copy): keep-files.ts.
 */
import { dirname, join, resolve } from 'node:path';
import type { Disk } from '../disk/index.js';
import { AtomicError, errorCode, fsError, IntegrityError, invalidArg } from '../base/errors.js';
import { hashFile } from '../file/sha256-file.js';
import type { BackupHook, BackupRequest } from '../file/hooks.js';
import { lockAs, releasing as releaseOf, type HeldLock } from '../lock/lock.js';
import { syncDirectories, syncDirectory } from '../file/dir-sync.js';
import { diskOf } from '../file/options.js';
import { writeData } from '../file/write-file.js';
import { isBackupId, newBackupId, timeOfBackupId } from './backup-id.js';
import { decodeManifest, encodeManifest, MANIFEST_NAME, type BackupFile, type Manifest } from './manifest.js';
import { restoreFiles, type RestoreOptions, type RestoreResult } from './restore.js';
import { existingFiles, keepFiles } from './keep-files.js';
import { makeDirs, removeTree } from './tree.js';
import { readWhole } from '../file/read-file.js';
import { unlinkIfPresent } from '../file/if-present.js';
import { checkOptions } from '../base/options-check.js';
import { pathArg, type PathLike } from '../file/check-path.js';
import { nameMatcher } from '../base/name-match.js';
import type { Found } from './keep-files.js';
import { runAsync, runSync, type Dual } from '../disk/dual.js';
import * as io from '../disk/io.js';

type Held = HeldLock;

/** A backup folder's lock (held while it is written or removed), as a step of the protocol. */
function lockFolder(disk: Disk, folder: string, timeout?: number): Dual<Held> {
  return lockAs(folder, { disk, timeout }, undefined);
}

export interface BackupStoreOptions {
  /** Keep at most this many complete backups (the newest). */
  keep?: number | undefined;
  /** Remove backups older than this many ms (never the newest one). */
  maxAgeMs?: number | undefined;
  /** Files are kept under their paths relative to this folder, unless a request names a root. */
  root?: string | undefined;
  /**
   * Accepted for compatibility, no longer needed: prune removes an unfinished backup as
   * soon as its writer is provably gone (its lock free, or held by a dead process of this
   * host), and never while a live writer holds it, whatever its age.
   */
  graceMs?: number | undefined;
  /** Keep files by hard link where possible (default true); false always copies. */
  hardLinks?: boolean | undefined;
  /** Prune after each new backup (default: true when `keep` or `maxAgeMs` is set). */
  autoPrune?: boolean | undefined;
  disk?: Disk | undefined;
}

export interface BackupInfo {
  id: string;
  createdAt: Date;
  /** The batch's name, if it was given one. */
  name?: string | undefined;
  operation: string;
  transactionId?: string | undefined;
  /** The files kept: every file the change replaced or removed. */
  files: BackupFile[];
  /** Files the change created: a restore removes them. */
  created: string[];
  /** Files the change removed (each also among `files`). */
  deleted: string[];
  /** Folders the change created for its files: a restore removes them if empty. */
  createdDirs: string[];
  /** For a restore's own backup: the backup it put back. */
  restoreOf?: string | undefined;
}

export interface BackupQuery {
  /** Backups of batches whose name contains this text (any case), or matches this pattern. */
  name?: string | RegExp | undefined;
  operation?: string | undefined;
}

export interface BackupProblem {
  /** The kept file's original path, or the manifest's path when the manifest is bad. */
  path: string;
  problem: string;
}

export interface BackupVerifyResult {
  id: string;
  ok: boolean;
  problems: BackupProblem[];
}

export interface PruneResult {
  /** Ids of the backups removed (complete and abandoned unfinished ones). */
  removed: string[];
}

/** The manifest fields that say what the batch did besides replacing files (set ones only). */
function batchFields(request: BackupRequest, found: readonly Found[]): Partial<Manifest> {
  const kept = new Set(found.map((f) => f.path));
  const list = (paths: readonly string[] | undefined): string[] | undefined =>
    paths && paths.length > 0 ? [...paths] : undefined;
  return {
    name: request.name,
    created: list(request.created),
    deleted: list(request.deleted?.filter((p) => kept.has(p))),
    createdDirs: list(request.createdDirs),
    restoreOf: request.restoreOf,
  };
}

export class BackupStore implements BackupHook {
  readonly dir: string;
  private readonly disk: Disk | undefined;

  constructor(
    folder: PathLike,
    private readonly options: BackupStoreOptions = {},
  ) {
    const dir = pathArg('BackupStore', folder, 'dir', false);
    checkOptions('BackupStore', 'BackupStore', dir, options);
    this.dir = resolve(dir);
    this.disk = options.disk;
  }

  private get d(): Disk {
    return diskOf({ disk: this.disk });
  }

  /** Keeps the current content of `paths` as one backup; see BackupHook. */
  preserve(paths: readonly string[], request: BackupRequest): Promise<string | undefined> {
    return runAsync(this.preserving(paths, request));
  }

  /** preserve, synchronously (the same protocol, dual.ts): what the synchronous calls use. */
  preserveSync(paths: readonly string[], request: BackupRequest): string | undefined {
    return runSync(this.preserving(paths, request));
  }

  private *preserving(paths: readonly string[], request: BackupRequest): Dual<string | undefined> {
    const found = yield* existingFiles(this.d, paths);
    const kept = new Set(found.map((f) => f.path));
    // A path named as created that exists is replaced, not created (a caller may not know).
    request = { ...request, created: request.created?.map((p) => resolve(p)).filter((p) => !kept.has(p)) };
    // A change that only creates files still gets a backup: its undo removes them.
    if (found.length === 0 && (request.created?.length ?? 0) === 0) return undefined;
    const id = newBackupId();
    const folder = join(this.dir, id);
    try {
      // A store folder made now must itself be durable, or a power cut could take every
      // backup in it along: sync the parent of each folder created.
      const made = yield* makeDirs(this.d, this.dir);
      yield* syncDirectories(
        this.d,
        made.map((d) => dirname(d)),
      );
    } catch (err) {
      throw fsError(err, 'backup', this.dir);
    }
    // Held while the backup is written, so that prune never removes it half-done.
    const held = yield* lockFolder(this.d, folder);
    try {
      yield* io.mkdir(this.d, folder, 0o700);
      const files = yield* keepFiles(this.d, this.dir, folder, found, {
        root: request.root ?? this.options.root,
        hardLinks: this.options.hardLinks ?? true,
      });
      const manifest: Manifest = {
        id,
        createdAt: new Date(timeOfBackupId(id) ?? Date.now()).toISOString(),
        operation: request.operation,
        transactionId: request.transactionId,
        root: request.root ?? this.options.root,
        files,
        ...batchFields(request, found),
      };
      yield* writeData('backup', join(folder, MANIFEST_NAME), encodeManifest(manifest), { disk: this.d, mode: 0o600 });
    } catch (err) {
      try {
        yield* removeTree(this.d, folder);
      } catch {
        // What is left is an unfinished backup, which prune removes.
      }
      throw fsError(
        err,
        'backup',
        found[0]?.path ?? folder,
        errorCode(err) === undefined ? undefined : `cannot keep a backup in ${this.dir}: ${(err as Error).message}`,
      );
    } finally {
      yield* releaseOf(held);
    }
    if (this.options.autoPrune ?? (this.options.keep !== undefined || this.options.maxAgeMs !== undefined)) {
      // Tidying is best effort: the change must not fail because an old backup could not go.
      try {
        yield* this.pruning();
      } catch {
        // See above.
      }
    }
    return id;
  }

  /** The manifest of complete backup `id`; ENOENT for an unknown or unfinished one, ECORRUPT for a bad manifest. */
  manifest(id: string): Promise<Manifest> {
    return runAsync(this.manifestOf(id));
  }

  private *manifestOf(id: string): Dual<Manifest> {
    if (typeof id !== 'string' || !isBackupId(id))
      throw invalidArg('backup', this.dir, `not a backup id: ${JSON.stringify(id)}`);
    const folder = join(this.dir, id);
    const file = join(folder, MANIFEST_NAME);
    let text: string;
    try {
      text = (yield* readWhole(this.d, file, 'backup')).toString('utf8');
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw fsError(err, 'backup', file);
      let exists = true;
      try {
        yield* io.stat(this.d, folder);
      } catch {
        exists = false;
      }
      const why = exists ? 'is unfinished (it has no manifest) and cannot be used' : 'does not exist';
      throw new AtomicError('ENOENT', `backup ${id} in ${this.dir} ${why}`, { path: folder, cause: err });
    }
    return decodeManifest(text, file, id);
  }

  /**
   * Complete backups, newest first, those matching `query` only. Unfinished backups and
   * those with a bad manifest are left out.
   */
  async list(query: BackupQuery = {}): Promise<BackupInfo[]> {
    checkOptions('BackupStore.list', 'backups list', this.dir, query);
    const named = nameMatcher(query.name, 'backup list', this.dir);
    const out: BackupInfo[] = [];
    for (const id of await runAsync(this.ids())) {
      try {
        const m = await this.manifest(id);
        if (named && !named(m.name)) continue;
        if (query.operation !== undefined && m.operation !== query.operation) continue;
        out.push({
          id,
          createdAt: new Date(m.createdAt),
          name: m.name,
          operation: m.operation,
          transactionId: m.transactionId,
          files: m.files,
          created: m.created ?? [],
          deleted: m.deleted ?? [],
          createdDirs: m.createdDirs ?? [],
          restoreOf: m.restoreOf,
        });
      } catch (err) {
        const code = errorCode(err);
        if (code !== 'ENOENT' && code !== 'ECORRUPT') throw err;
      }
    }
    return out;
  }

  /** Whether the store's folder exists (the first backup makes it): a command tells a mistyped store from an empty one. */
  async exists(): Promise<boolean> {
    try {
      return (await this.d.stat(this.dir)).isDirectory();
    } catch (err) {
      if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return false;
      throw fsError(err, 'backup', this.dir);
    }
  }

  /** Backup folder names, newest first. */
  private *ids(): Dual<string[]> {
    let names: string[];
    try {
      names = yield* io.readdir(this.d, this.dir);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return [];
      throw fsError(err, 'backup', this.dir);
    }
    return names.filter(isBackupId).sort().reverse();
  }

  /** Checks every kept file of backup `id` against its manifest (size and SHA-256). */
  async verify(id: string): Promise<BackupVerifyResult> {
    let m: Manifest;
    try {
      m = await this.manifest(id);
    } catch (err) {
      if (errorCode(err) !== 'ECORRUPT') throw err;
      return {
        id,
        ok: false,
        problems: [{ path: join(this.dir, id, MANIFEST_NAME), problem: (err as Error).message }],
      };
    }
    const problems: BackupProblem[] = [];
    for (const f of m.files) {
      const problem = await this.checkKept(id, f);
      if (problem) problems.push({ path: f.path, problem });
    }
    return { id, ok: problems.length === 0, problems };
  }

  /** Why the kept copy of `f` is not good, or undefined if it is. */
  private async checkKept(id: string, f: BackupFile): Promise<string | undefined> {
    const kept = await this.hashKept(id, f);
    if (!kept) return 'the kept copy is missing';
    if (kept.bytes !== f.size) return `size is ${kept.bytes}, expected ${f.size}`;
    if (kept.sha256 !== f.sha256) return `SHA-256 is ${kept.sha256}, expected ${f.sha256}`;
    return undefined;
  }

  private async hashKept(id: string, f: BackupFile): Promise<{ sha256: string; bytes: number } | undefined> {
    try {
      return await runAsync(hashFile(this.d, join(this.dir, id, f.stored)));
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return undefined;
      throw fsError(err, 'backup', f.path);
    }
  }

  /**
   * Returns every file that backup `id`'s change touched to its state before it, in one
   * transaction: kept files are written back, files the change created are removed, and
   * then the folders it created, if they are empty. Every kept copy is checked against
   * its SHA-256 first: a damaged backup throws (IntegrityError, or ECORRUPT for a missing
   * copy) and changes nothing. The restore keeps what it replaces and removes as a backup
   * of its own in this store (operation `restore`), so it can be undone too, unless
   * `backup` says otherwise.
   */
  async restore(id: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
    checkOptions('BackupStore.restore', 'restore', `${this.dir} ${String(id)}`, opts);
    const m = await this.manifest(id);
    for (const f of m.files) {
      const kept = await this.hashKept(id, f);
      if (!kept)
        throw new AtomicError('ECORRUPT', `backup ${id}: the kept copy of ${f.path} is missing`, { path: f.path });
      if (kept.sha256 !== f.sha256) throw new IntegrityError(f.path, f.sha256, kept.sha256);
    }
    return restoreFiles(this.d, join(this.dir, id), m, {
      ...opts,
      backup: opts.backup === false ? undefined : (opts.backup ?? this),
    });
  }

  /**
   * Removes backups beyond `keep` and older than `maxAgeMs`, never the newest complete
   * one, and unfinished ones as soon as nobody alive holds their lock (their writer died). Backups with a bad manifest are left for a
   * person to look at.
   */
  prune(): Promise<PruneResult> {
    return runAsync(this.pruning());
  }

  private *pruning(): Dual<PruneResult> {
    const removed: string[] = [];
    const now = Date.now();
    let complete = 0;
    for (const id of yield* this.ids()) {
      const state = yield* this.stateOf(id);
      if (state === 'corrupt') continue;
      if (state === 'unfinished') {
        // Whatever its age, one whose lock is free has no writer: its writer holds that
        // lock from before the folder is made until its manifest is written, and a dead
        // writer's lock is taken over at once on this host. The grace period is for
        // what cannot be proven dead: a writer on another host.
        if (yield* this.remove(id, true)) removed.push(id);
        continue;
      }
      complete++;
      if (complete === 1) continue; // never the newest
      const tooMany = this.options.keep !== undefined && complete > this.options.keep;
      const tooOld = this.options.maxAgeMs !== undefined && now - state.getTime() > this.options.maxAgeMs;
      if ((tooMany || tooOld) && (yield* this.remove(id))) removed.push(id);
    }
    return { removed };
  }

  /**
   * The backup's lock, unless a live holder has it. A try that finds a dead holder's
   * record breaks it but does not take the lock: so a second try.
   */
  private *lockIfFree(folder: string): Dual<Held | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        return yield* lockFolder(this.d, folder, 0);
      } catch (err) {
        if (errorCode(err) !== 'ELOCKED') throw err;
        if (attempt === 1) return undefined;
      }
    }
  }

  /** The creation time of a complete backup, or its state. */
  private *stateOf(id: string): Dual<Date | 'unfinished' | 'corrupt'> {
    try {
      return new Date((yield* this.manifestOf(id)).createdAt);
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ENOENT') return 'unfinished';
      if (code === 'ECORRUPT') return 'corrupt';
      throw err;
    }
  }

  /**
   * Removes backup `id` unless its lock is held (a writer at work); true if removed. An
   * unfinished one is removed only if it is still unfinished under the lock (its writer
   * may have completed it meanwhile).
   */
  private *remove(id: string, unfinished = false): Dual<boolean> {
    const folder = join(this.dir, id);
    const held = yield* this.lockIfFree(folder);
    if (!held) return false;
    try {
      if (unfinished && (yield* this.stateOf(id)) !== 'unfinished') return false;
      // Manifest first, made durable: should the removal stop half-way, what is left
      // is an unfinished backup (never restored), not a complete one with files missing.
      yield* unlinkIfPresent(this.d, join(folder, MANIFEST_NAME), 'prune backup');
      yield* syncDirectory(this.d, folder);
      yield* removeTree(this.d, folder);
      // The folder's removal from the store, durable.
      yield* syncDirectory(this.d, this.dir);
      return true;
    } catch (err) {
      throw fsError(err, 'prune backup', folder);
    } finally {
      yield* releaseOf(held);
    }
  }
}
