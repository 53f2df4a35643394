/**
 * Backup ids: UTC time to the millisecond, then a short random suffix. They sort as
 * strings in the order the backups were made (the suffix only breaks ties within one
 * millisecond), they are valid folder names everywhere, and the time can be read back.
 */
import { randomBytes } from 'node:crypto';

const ID_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-([0-9a-f]{8})$/;

export function newBackupId(now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-11-27T23:52:45.123Z
  const compact = iso.replace(/[-:]/g, '').replace('.', '');
  return `${compact}-${randomBytes(4).toString('hex')}`;
}

export function isBackupId(name: string): boolean {
  return ID_RE.test(name);
}

/** The time encoded in `id` (ms since the epoch), or undefined if `id` is not a backup id. */
export function timeOfBackupId(id: string): number | undefined {
  const m = ID_RE.exec(id);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m.map(Number);
  return Date.UTC(y!, mo! - 1, d, h, mi, s, ms);
}
