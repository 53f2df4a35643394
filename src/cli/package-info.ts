/**
 * The package's own files that ship beside the built command: package.json (for
 * --version) and the published plan schema. Loaded with require, which reads JSON
 * synchronously without the experimental-warning of JSON import attributes on Node 20.
 * Paths are relative to dist/src/cli/ (the built command).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function packageVersion(): string {
  const pkg = require('../../../package.json') as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

/** The JSON Schema for `apply` plans (schemas/plan.schema.json). */
export function planSchema(): Record<string, unknown> {
  return require('../../../schemas/plan.schema.json') as Record<string, unknown>;
}
