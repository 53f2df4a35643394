/**
 * Who owns a journal, and whether that owner may still be running. A transaction id
 * encodes its owner (host tag, pid, and a per-process nonce), so a journal's owner is
 * known from its file name alone, even when the journal's content is torn.
 *
 * The nonce matters in containers, where a restarted program often gets the same pid
 * (1, say) as the one that crashed: same pid with another nonce is a dead predecessor.
 */
import { randomId } from '../file/temp-name.js';
import { HOST, isProcessAlive } from '../file/process-alive.js';
import { sha256Hex } from '../base/sha256.js';
import type { Coordinator } from '../lock/coordinator.js';
import type { Dual } from '../disk/dual.js';
import { asyncOnly } from '../base/async-only.js';

/** A short, file-name-safe tag of this host's name. */
export const HOST_TAG = sha256Hex(HOST).slice(0, 8);
const NONCE = randomId(4);

/** Ids of the transactions and guards of this process that are still in progress. */
const active = new Set<string>();

export function newTxId(): string {
  return `${HOST_TAG}-${process.pid}-${NONCE}-${randomId(6)}`;
}

const ID_RE = /^([0-9a-f]{8})-(\d+)-([0-9a-f]{8})-([0-9a-f]{12})$/;

export function isTxId(id: string): boolean {
  return ID_RE.test(id);
}

export function markActive(id: string): void {
  active.add(id);
}

/** The transaction is over (or gave up): recovery may now take care of its journal. */
export function markInactive(id: string): void {
  active.delete(id);
}

/**
 * False only when the owner is known to be gone: same host and its pid is not running,
 * or this very process under another nonce, or this process without that transaction
 * in progress. Owners on other hosts count as alive (their pids cannot be checked).
 */
export function mayBeAlive(id: string): boolean {
  const m = ID_RE.exec(id);
  if (!m) return true;
  const [, host, pid, nonce] = m;
  if (host !== HOST_TAG) return true;
  if (Number(pid) === process.pid) return nonce === NONCE && active.has(id);
  return isProcessAlive(Number(pid));
}

/**
 * With a coordinator, liveness comes from it (the owner's lease), not from pids: across
 * containers a pid and host name say nothing. Only this very process's own transactions
 * are known here without asking.
 */
export function* ownerMayBeAlive(id: string, coordinator: Coordinator | undefined): Dual<boolean> {
  if (!coordinator) return mayBeAlive(id);
  const m = ID_RE.exec(id);
  if (!m) return true;
  const [, host, pid, nonce] = m;
  if (host === HOST_TAG && Number(pid) === process.pid && nonce === NONCE) return active.has(id);
  return yield* asyncOnly('recover', id, 'asking a coordinator', () => coordinator.isAlive(id));
}
