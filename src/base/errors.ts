/**
 * One error family. `code` is the stable contract (as in Node core); messages may change.
 * Every message names the path it is about; the underlying error is kept as `cause`.
 */

/**
 * Every code atomicfs gives an error itself, in one list: docs/ERRORS.md has a row for
 * each (a test holds the two together). Some are system codes, made here with the same
 * meaning (ENOENT for a transaction's missing source, say).
 */
export const ATOMIC_ERROR_CODES = [
  'ABORT_ERR',
  'EAUDIT',
  'ECOMPROMISED',
  'ECOORDINATOR',
  'ECORRUPT',
  'EEMPTY',
  'EENCODE',
  'EEXIST',
  'EINTEGRITY',
  'EINTR',
  'EINVAL',
  'EIO',
  'EISDIR',
  'EJOURNAL',
  'ELOCKED',
  'ELOOP',
  'ENOENT',
  'ENOTACQUIRED',
  'ENOTAUDITLOG',
  'ENOTDIR',
  'ENOTSUP',
  'EOUTSIDEROOT',
  'EPARSE',
  'EPENDING',
  'EPRODUCER',
  'ESCHEMA',
  'ESIZE',
  'ESOURCE',
  'ETXFAILED',
  'EUNKNOWN',
  'EVALIDATION',
] as const;

/** A code atomicfs gives an error itself (docs/ERRORS.md). */
export type AtomicErrorCode = (typeof ATOMIC_ERROR_CODES)[number];

declare const passedThrough: unique symbol;

/**
 * A system error's code (ENOENT, EACCES, ENOSPC, …) kept on the AtomicError that wraps it.
 * Branded, so that a code atomicfs makes up must be one of AtomicErrorCode: only
 * `systemCodeOf` gives one.
 */
export type SystemErrorCode = string & { readonly [passedThrough]: true };

/** What an AtomicError's `code` holds. */
export type ErrorCode = AtomicErrorCode | SystemErrorCode;

export interface AtomicErrorOptions {
  path?: string | undefined;
  cause?: unknown;
  syscall?: string | undefined;
  errno?: number | undefined;
}

export class AtomicError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly syscall: string | undefined;
  readonly errno: number | undefined;

  constructor(code: ErrorCode, message: string, options: AtomicErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AtomicError';
    this.code = code;
    this.path = options.path;
    this.syscall = options.syscall;
    this.errno = options.errno;
  }
}

export interface SchemaIssue {
  /** JSON Pointer to the offending value ('' for the root). */
  instancePath: string;
  message: string;
}

export class ValidationError extends AtomicError {
  readonly issues: SchemaIssue[];
  constructor(path: string | undefined, issues: SchemaIssue[], options: AtomicErrorOptions = {}) {
    const where = path === undefined ? 'value' : path;
    const list = issues.map((i) => `${i.instancePath || '/'} ${i.message}`).join('; ');
    super('EVALIDATION', `${where}: does not match the schema: ${list}`, { ...options, path });
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

export class IntegrityError extends AtomicError {
  readonly expected: string;
  readonly actual: string;
  constructor(path: string, expected: string, actual: string, options: AtomicErrorOptions = {}) {
    super('EINTEGRITY', `${path}: SHA-256 mismatch: expected ${expected}, found ${actual}`, { ...options, path });
    this.name = 'IntegrityError';
    this.expected = expected;
    this.actual = actual;
  }
}

export class LockError extends AtomicError {
  constructor(path: string, message: string, options: AtomicErrorOptions = {}) {
    super('ELOCKED', `${path}: ${message}`, { ...options, path });
    this.name = 'LockError';
  }
}

export class TransactionError extends AtomicError {
  readonly rolledBack: boolean;
  readonly transactionId: string | undefined;
  constructor(message: string, rolledBack: boolean, options: AtomicErrorOptions & { transactionId?: string } = {}) {
    super('ETXFAILED', message, options);
    this.name = 'TransactionError';
    this.rolledBack = rolledBack;
    this.transactionId = options.transactionId;
  }
}

interface SystemErrorLike {
  code: string;
  message: string;
  syscall?: string;
  errno?: number;
}

export function isSystemError(err: unknown): err is SystemErrorLike {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}

/** The error's `code`, or undefined. */
export function errorCode(err: unknown): string | undefined {
  return isSystemError(err) ? err.code : undefined;
}

/** The error's `code`, to be kept on an AtomicError that wraps it; undefined if it has none. */
export function systemCodeOf(err: unknown): ErrorCode | undefined {
  if (err instanceof AtomicError) return err.code;
  return isSystemError(err) ? (err.code as SystemErrorCode) : undefined;
}

const EXPLAIN: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'is a directory, expected a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on device',
  EIO: 'input/output error',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EXDEV: 'source and destination are on different devices',
  ENAMETOOLONG: 'name too long',
  EBUSY: 'resource busy',
  EAGAIN: 'resource temporarily unavailable',
  EDQUOT: 'disk quota exceeded',
};

/**
 * Wraps a failure of operation `op` on `path` so that the message names the path the
 * caller passed (not an internal temporary name) while keeping `code`, `errno`,
 * `syscall` and the original error as `cause`. AtomicErrors pass through unchanged.
 */
export function fsError(err: unknown, op: string, path: string, detail?: string): Error {
  if (err instanceof AtomicError) return err;
  if (isSystemError(err)) {
    const what = detail ?? EXPLAIN[err.code] ?? err.message;
    return new AtomicError(err.code as SystemErrorCode, `${op} ${path}: ${err.code}: ${what}`, {
      path,
      cause: err,
      syscall: err.syscall,
      errno: err.errno,
    });
  }
  return new AtomicError('EUNKNOWN', `${op} ${path}: ${String(err)}`, { path, cause: err });
}

/** Bad arguments: a programming error of the caller, reported before touching the disk. */
export function invalidArg(op: string, path: string | undefined, message: string): AtomicError {
  return new AtomicError('EINVAL', `${op}${path === undefined ? '' : ` ${path}`}: ${message}`, { path });
}
