/** The library's plain result objects as --json fields (Dates become ISO strings). */
import type { JsonValue } from './output.js';

export function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
}
