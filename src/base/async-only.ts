/**
 * Steps that exist only asynchronously: a coordinator (etcd) answering over the network,
 * the next chunk of a stream, a caller's async function. Driven synchronously, such a step
 * fails with EINVAL naming the call and the path. The synchronous calls refuse what would
 * reach one before doing any work (options-check.ts, checkInMemory, commitSync's checks);
 * the step only guards that, with the same clear error.
 */
import { AtomicError } from './errors.js';
import { call, type Dual } from '../disk/dual.js';

/** `fn` as a step, asynchronous only: `what` names what cannot be done synchronously. */
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
