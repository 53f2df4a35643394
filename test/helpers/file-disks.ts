/**
 * Disk wrappers for the single-file tests, thin forms of fault-disk.ts: the real disk with
 * one behaviour changed (a failing rename, bytes altered on read, a permission error), to
 * reach error paths that a healthy disk (or a root user) never shows.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import type { AuditRecord, Disk } from '../../src/index.js';
import { faultDisk, type FaultDisk } from './fault-disk.js';

// The built package's real disk: the seam's node:fs implementation.
import { nodeDisk } from '../../src/disk/index.js';

export { nodeDisk, faultDisk };

/** A Node-like system error with `code` and `syscall`. */
export function sysError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: simulated, ${syscall} '${path}'`) as NodeJS.ErrnoException;
  err.code = code;
  err.syscall = syscall;
  err.path = path;
  return err;
}

/** Rename fails `times` times with `code`, then works. Counts the attempts. */
export function failingRename(code: string, times: number): { disk: FaultDisk; attempts: () => number } {
  const disk = faultDisk();
  disk.fail('rename', code, times);
  return { disk, attempts: () => disk.count('rename') };
}

/** Reads of files opened read-only return their bytes with the first one flipped. */
export function alteringReads(base: Disk = nodeDisk): FaultDisk {
  const disk = faultDisk(base);
  disk.alterReads(
    (bytes, position) => {
      if (position === 0) bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    },
    (c) => c.op === 'file.read' && c.flags === 'r',
  );
  return disk;
}

/** Every call that creates, replaces or removes an entry fails with EACCES (as for a non-root user in a read-only folder). */
export function deniedDisk(): FaultDisk {
  const disk = faultDisk();
  disk.fail(
    (c) => (c.op === 'open' && c.flags !== 'r') || ['rename', 'link', 'unlink'].includes(c.op),
    'EACCES',
    Infinity,
  );
  return disk;
}

/** `nodeDisk` recording each rename, link, unlink and directory sync, in order. */
export function loggingDisk(base: Disk = nodeDisk): { disk: FaultDisk; log: string[] } {
  const log: string[] = [];
  const disk = faultDisk(base);
  disk.on(['rename', 'link', 'unlink', 'syncDir'], {
    after: (c) => void log.push([c.op, c.path, c.to].filter((x) => x !== undefined).join(' ')),
  });
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
