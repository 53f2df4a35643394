import { invalidArg } from './errors.js';

/**
 * The test for a `name` query (audit entries, backup lists): text is found anywhere in a
 * batch's name, in any case, as a person searching would expect; a RegExp is matched as
 * given. Unnamed batches never match. Undefined: no filter.
 */
export function nameMatcher(
  query: unknown,
  op: string,
  where: string,
): ((name: string | undefined) => boolean) | undefined {
  if (query === undefined) return undefined;
  if (query instanceof RegExp) {
    const re = new RegExp(query.source, query.flags.replace(/[gy]/g, ''));
    return (name) => name !== undefined && re.test(name);
  }
  if (typeof query !== 'string' || query === '')
    throw invalidArg(op, where, `name must be a non-empty string or a RegExp, got ${JSON.stringify(query)}`);
  const needle = query.toLowerCase();
  return (name) => name !== undefined && name.toLowerCase().includes(needle);
}
