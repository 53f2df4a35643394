/**
 * Libraries loaded on first use. Loading the YAML parser and the JSON Schema validator
 * at import nearly doubled the time and memory of importing atomicfs (bench/NOTES.md): a
 * program that only writes files, or the command run for one of them, should not pay
 * for what it never calls. Loading stays synchronous (they are CommonJS packages), so the
 * functions that use them keep their signatures.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/** A getter for the package `name`'s exports, loaded on its first call. */
export function lazily<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load(name) as T);
}
