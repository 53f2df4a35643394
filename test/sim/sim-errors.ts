/** Errors shaped like Node's system errors (Error with code, errno, syscall, path). */

const ERRNO: Record<string, number> = {
  EPERM: -1,
  ENOENT: -2,
  EIO: -5,
  EBADF: -9,
  EAGAIN: -11,
  EACCES: -13,
  EBUSY: -16,
  EEXIST: -17,
  EXDEV: -18,
  ENOTDIR: -20,
  EISDIR: -21,
  EINVAL: -22,
  ENFILE: -23,
  EMFILE: -24,
  ENOSPC: -28,
  ELOOP: -40,
  ENOTEMPTY: -39,
};

const TEXT: Record<string, string> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EIO: 'i/o error',
  EBADF: 'bad file descriptor',
  EAGAIN: 'resource temporarily unavailable',
  EACCES: 'permission denied',
  EBUSY: 'resource busy or locked',
  EEXIST: 'file already exists',
  EXDEV: 'cross-device link not permitted',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  EINVAL: 'invalid argument',
  ENFILE: 'file table overflow',
  EMFILE: 'too many open files',
  ENOSPC: 'no space left on device',
  ELOOP: 'too many symbolic links encountered',
  ENOTEMPTY: 'directory not empty',
};

export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path: string;
  dest?: string;
}

/**
 * Node's system errors carry no JavaScript stack either, and explorations create
 * hundreds of thousands of them: skip capturing one.
 */
function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A Node-shaped system error, e.g. `ENOENT: no such file or directory, open '/a'`. */
export function sysError(code: string, syscall: string, path: string, dest?: string): SystemError {
  const where = dest === undefined ? `'${path}'` : `'${path}' -> '${dest}'`;
  const err = withoutStack(() => new Error(`${code}: ${TEXT[code] ?? 'error'}, ${syscall} ${where}`)) as SystemError;
  err.code = code;
  err.errno = ERRNO[code] ?? -1;
  err.syscall = syscall;
  err.path = path;
  if (dest !== undefined) err.dest = dest;
  return err;
}

/** The error every disk call throws once the simulated power cut has happened. */
export const CRASH_CODE = 'ESIMCRASH';

export class SimCrashError extends Error {
  readonly code = CRASH_CODE;
  constructor(
    readonly syscall: string,
    readonly path: string,
  ) {
    super(`${CRASH_CODE}: simulated power cut, ${syscall} '${path}' never ran`);
    this.name = 'SimCrashError';
  }

  static at(syscall: string, path: string): SimCrashError {
    return withoutStack(() => new SimCrashError(syscall, path));
  }
}

/** True if `err`, or any error in its `cause` chain, is the simulated crash. */
export function isCrash(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === CRASH_CODE) return true;
  }
  return false;
}

/** An error as text for a failure message: `code: message` when it has them. */
export function showError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code)
      ? `${code}: ${err.message}`
      : `${err.name}: ${err.message}`;
  }
  return typeof err === 'string' ? err : JSON.stringify(err);
}
