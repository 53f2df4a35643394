/**
 * What a disk's platform can do. The layers above ask a disk's `capabilities` instead
 * of checking `process.platform` or comparing against the real disk object, so that a
 * simulated disk can play each platform's rules and the code that depends on them runs
 * the same way under it as on the platform itself.
 */

export interface DiskCapabilities {
  /** The family of rules: POSIX (Linux, macOS, the BSDs) or Windows. */
  readonly family: 'posix' | 'windows';
  /**
   * A directory can be synced (fsync on a directory descriptor), making the entries
   * created, renamed and removed in it durable. Windows has no such call for a program
   * (Node opens no directory for writing there): a rename is then only as durable as the
   * file system's own metadata journal makes it, in its own time.
   */
  readonly dirSync: boolean;
  /** link(2) is expected to work (it may still fail on a given volume: FAT, some shares). */
  readonly hardLinks: boolean;
  /**
   * A file can be renamed over, or removed, while another handle (another process, an
   * indexer, an antivirus) holds it open. Where it cannot, the holder's handle makes
   * those calls fail for as long as it is open (see `sharingViolations`), and a file this
   * process still has open must be closed before it is renamed.
   */
  readonly replaceOpen: boolean;
  /**
   * A file opened read-only can be synced. Windows's FlushFileBuffers needs a handle with
   * write access, and fails with EPERM on any other.
   */
  readonly syncReadOnly: boolean;
  /** Files have POSIX owners (uid, gid) that chown changes. */
  readonly ownership: boolean;
  /** Names that differ only in letter case are different files. */
  readonly caseSensitive: boolean;
  /**
   * The error codes that a rename, unlink or rmdir fails with while another handle holds
   * the file, and that go away once it is closed: worth retrying with a bounded backoff.
   * Empty where such holders cannot make these calls fail.
   */
  readonly sharingViolations: readonly string[];
}

export const POSIX_CAPABILITIES: DiskCapabilities = Object.freeze({
  family: 'posix',
  dirSync: true,
  hardLinks: true,
  replaceOpen: true,
  syncReadOnly: true,
  ownership: true,
  caseSensitive: true,
  sharingViolations: Object.freeze([]),
});

/**
 * NTFS under Windows: hard links work, but no directory sync, no POSIX owners, names
 * compared without case, and a file held open by another handle can be neither replaced
 * nor removed until it is closed (EPERM, EACCES or EBUSY, depending on how it was opened).
 */
export const WINDOWS_CAPABILITIES: DiskCapabilities = Object.freeze({
  family: 'windows',
  dirSync: false,
  hardLinks: true,
  replaceOpen: false,
  syncReadOnly: false,
  ownership: false,
  caseSensitive: false,
  sharingViolations: Object.freeze(['EPERM', 'EACCES', 'EBUSY']),
});

/** The open mode for a file opened only to be synced (see `syncReadOnly`). */
export function syncFlags(caps: DiskCapabilities): 'r' | 'r+' {
  return caps.syncReadOnly ? 'r' : 'r+';
}

/**
 * The key under which `path` names the same file as every other spelling of it on
 * `caps`'s platform: itself where names are case-sensitive, else case-folded. For maps
 * and comparisons of paths (locks, write order, a transaction's files), never for a path
 * to open.
 */
export function pathKey(caps: DiskCapabilities, path: string): string {
  return caps.caseSensitive ? path : path.toLowerCase();
}
