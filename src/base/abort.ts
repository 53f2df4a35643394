import { AtomicError } from './errors.js';

/** Throws an `ABORT_ERR` AtomicError (Node's code for aborts) if `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, op: string, path: string): void {
  if (signal?.aborted) throw abortError(signal, op, path);
}

export function abortError(signal: AbortSignal, op: string, path: string): AtomicError {
  const err = new AtomicError('ABORT_ERR', `${op} ${path}: aborted`, { path, cause: signal.reason });
  err.name = 'AbortError';
  return err;
}
