/**
 * Disk wrappers for the single-file tests: the real disk with one behaviour changed
 * (a failing rename, bytes altered on read, a permission error), to reach error paths
 * that a healthy disk (or a root user) never shows.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import type { AuditRecord, Disk, DiskFile } from '../../src/index.js';

// The built package's real disk: the seam's node:fs implementation.
import { nodeDisk } from '../../src/disk/index.js';

export { nodeDisk };

/** `nodeDisk` with some methods replaced. */
export function wrapDisk(overrides: Partial<Disk>, base: Disk = nodeDisk): Disk {
  const disk: Disk = { ...base, ...overrides };
  // A folder opened ahead is synced through its handle, not `syncDir`: a wrapper that
  // changes `syncDir` must see every directory sync, so it gets none.
  if (overrides.syncDir && !overrides.openDir) delete disk.openDir;
  return disk;
}

/** A Node-like system error with `code` and `syscall`. */
export function sysError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: simulated, ${syscall} '${path}'`) as NodeJS.ErrnoException;
  err.code = code;
  err.syscall = syscall;
  err.path = path;
  return err;
}

/** Rename fails `times` times with `code`, then works. Counts the attempts. */
export function failingRename(code: string, times: number): { disk: Disk; attempts: () => number } {
  let attempts = 0;
  const disk = wrapDisk({
    async rename(from, to) {
      attempts++;
      if (attempts <= times) throw sysError(code, 'rename', from);
      return nodeDisk.rename(from, to);
    },
  });
  return { disk, attempts: () => attempts };
}

/** Reads of files opened read-only return their bytes with the first one flipped. */
export function alteringReads(): Disk {
  return wrapDisk({
    async open(path, flags, mode) {
      const file = await nodeDisk.open(path, flags, mode);
      if (flags !== 'r') return file;
      return alteredFile(file);
    },
  });
}

function alteredFile(file: DiskFile): DiskFile {
  return {
    path: file.path,
    write: (d, p) => file.write(d, p),
    async read(buffer, position, length) {
      const n = await file.read(buffer, position, length);
      if (n > 0 && position === 0) buffer[0] = (buffer[0] ?? 0) ^ 0xff;
      return n;
    },
    sync: () => file.sync(),
    stat: () => file.stat(),
    chmod: (m) => file.chmod(m),
    chown: (u, g) => file.chown(u, g),
    truncate: (l) => file.truncate(l),
    close: () => file.close(),
  };
}

/** Every call that creates, replaces or removes an entry fails with EACCES (as for a non-root user in a read-only folder). */
export function deniedDisk(): Disk {
  const deny = (syscall: string) => async (path: string) => {
    throw sysError('EACCES', syscall, path);
  };
  return wrapDisk({
    async open(path, flags, mode) {
      if (flags === 'r') return nodeDisk.open(path, flags, mode);
      throw sysError('EACCES', 'open', path);
    },
    rename: deny('rename'),
    link: deny('link'),
    unlink: deny('unlink'),
  });
}

/** `nodeDisk` recording each rename, link, unlink and directory sync, in order. */
export function loggingDisk(base: Disk = nodeDisk): { disk: Disk; log: string[] } {
  const log: string[] = [];
  const disk = wrapDisk(
    {
      async rename(from, to) {
        await base.rename(from, to);
        log.push(`rename ${from} ${to}`);
      },
      async link(existing, to) {
        await base.link(existing, to);
        log.push(`link ${existing} ${to}`);
      },
      async unlink(path) {
        await base.unlink(path);
        log.push(`unlink ${path}`);
      },
      async syncDir(path) {
        await base.syncDir(path);
        log.push(`syncDir ${path}`);
      },
    },
    base,
  );
  return { disk, log };
}

/** A stand-in BackupHook / AuditHook that records what it was given. */
export function recordingHooks(): {
  backup: { preserve(paths: readonly string[], request: { operation: string }): Promise<string | undefined> };
  audit: { record(entry: AuditRecord): Promise<void> };
  preserved: { paths: string[]; operation: string; contents: (string | null)[] }[];
  /** The records, less `durationMs` (the public entry times every record: see `durations`). */
  entries: AuditRecord[];
  durations: (number | undefined)[];
} {
  const preserved: { paths: string[]; operation: string; contents: (string | null)[] }[] = [];
  const entries: AuditRecord[] = [];
  const durations: (number | undefined)[] = [];
  return {
    preserved,
    entries,
    durations,
    backup: {
      async preserve(paths, request) {
        const contents = await Promise.all(paths.map(readText));
        preserved.push({ paths: [...paths], operation: request.operation, contents });
        return 'backup-1';
      },
    },
    audit: {
      async record(entry) {
        const { durationMs, ...rest } = entry;
        durations.push(durationMs);
        entries.push(rest);
      },
    },
  };
}

async function readText(path: string): Promise<string | null> {
  return fsReadFile(path, 'utf8').catch(() => null);
}
