/**
 * The few steps of the transaction layer that exist only asynchronously: a coordinator
 * (etcd) answers over the network. The synchronous calls refuse a coordinator before any
 * work (commitSync, recoverSync); this step only guards that, with the same clear error.
 */
import { AtomicError } from '../base/errors.js';
import { call, type Dual } from '../disk/dual.js';

export function asyncOnly<T>(op: string, path: string, what: string, fn: () => Promise<T>): Dual<T> {
  return call(() => {
    throw new AtomicError('EINVAL', `${op} ${path}: ${what} is asynchronous only`, { path });
  }, fn);
}

/** The error of a synchronous call given a coordinator: refused before anything is done. */
export function noSyncCoordinator(op: string, root: string): AtomicError {
  return new AtomicError(
    'EINVAL',
    `${op} ${root}: a coordinator (etcd) answers asynchronously only; use the asynchronous call with it`,
    { path: root },
  );
}
