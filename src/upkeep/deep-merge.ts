/**
 * The merge rule of mergeConfigs, applied file by file (later files win):
 * - 'deep': plain objects (mappings) are merged key by key, recursively; everything else
 *   (arrays, strings, numbers, booleans, null) from the later file replaces the earlier
 *   value whole. Arrays are replaced, not concatenated: concatenation cannot remove an
 *   entry, so a later file could never shorten a list. `null` replaces too (it does not
 *   delete the key).
 * - 'shallow': top-level keys of the later file replace the earlier ones whole.
 * Keys are copied as own data properties, so a `__proto__` key in a file stays a plain
 * key and never changes a prototype.
 */
export type MergeStrategy = 'deep' | 'shallow';

export type PlainObject = Record<string, unknown>;

export function isPlainObject(v: unknown): v is PlainObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function put(target: PlainObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function deepMerge(a: PlainObject, b: PlainObject): PlainObject {
  const out: PlainObject = {};
  for (const [k, v] of Object.entries(a)) put(out, k, v);
  for (const [k, v] of Object.entries(b)) {
    const prev = Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined;
    put(out, k, isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : v);
  }
  return out;
}

export function mergeValues(values: readonly PlainObject[], strategy: MergeStrategy): PlainObject {
  let out: PlainObject = {};
  for (const v of values) {
    if (strategy === 'deep') {
      out = deepMerge(out, v);
    } else {
      for (const [k, x] of Object.entries(v)) put(out, k, x);
    }
  }
  return out;
}
