/** Whether a process holding a lock or a journal is still alive (on this host). */
import { hostname } from 'node:os';
import { errorCode } from '../base/errors.js';

/** This host's name, as locks, journals and audit entries record it. */
export const HOST = hostname();

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return errorCode(err) === 'EPERM';
  }
}

export interface Owner {
  pid: number;
  host: string;
}

/** An owner is dead when it ran on this host and its pid is gone. */
export function isOwnerDeadHere(owner: Owner): boolean {
  return owner.host === HOST && !isProcessAlive(owner.pid);
}
