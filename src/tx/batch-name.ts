import { invalidArg } from '../base/errors.js';

/** Long enough for a sentence, short enough for one line of a listing. */
export const MAX_NAME_LENGTH = 200;

/**
 * A batch's `name` (transactions, guards, restores): what a person reads to choose a
 * batch to undo, kept in its backup, its audit entry and its journal. One line of text:
 * a name that could break a listing or a log line is refused, not silently changed.
 */
export function checkBatchName(op: string, where: string | undefined, name: unknown): string | undefined {
  if (name === undefined) return undefined;
  if (typeof name !== 'string' || name.trim() === '')
    throw invalidArg(op, where, `name must be a non-empty string, got ${JSON.stringify(name)}`);
  if (name.length > MAX_NAME_LENGTH)
    throw invalidArg(op, where, `name must be at most ${MAX_NAME_LENGTH} characters, got ${name.length}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name))
    throw invalidArg(
      op,
      where,
      `name must be one line of text without control characters, got ${JSON.stringify(name)}`,
    );
  return name;
}
