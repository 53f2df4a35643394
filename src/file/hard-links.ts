/**
 * Where hard links cannot be made. atomicfs uses them for locks, a transaction's backups
 * and moves staged without a copy, and falls back (or goes without) when the file system
 * has none: these codes, and only these, mean that, rather than a failure to report.
 */
import { errorCode } from '../base/errors.js';

/**
 * EXDEV: the two names are on different file systems. EPERM: the file system does not
 * allow hard links (FAT, some FUSE mounts, Linux's protected_hardlinks for a file not
 * ours). ENOTSUP/EOPNOTSUPP and ENOSYS: the call is not implemented there. EMLINK: the
 * file has as many links as it may.
 */
const NO_HARD_LINKS = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/** Whether a failed link(2) means "no hard link possible here" (see NO_HARD_LINKS). */
export function noHardLink(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && NO_HARD_LINKS.has(code);
}
