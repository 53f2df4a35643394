/**
 * The codes atomicfs makes are listed once, in ATOMIC_ERROR_CODES (the type checker
 * holds every `new AtomicError(code, …)` to it), and documented once, in docs/ERRORS.md:
 * the two must name the same codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ATOMIC_ERROR_CODES } from '../src/base/errors.js';

const DOC = fileURLToPath(new URL('../../docs/ERRORS.md', import.meta.url));

test("docs/ERRORS.md's table of codes atomicfs makes lists exactly ATOMIC_ERROR_CODES", async () => {
  const text = await readFile(DOC, 'utf8');
  const section = text.split('## The codes atomicfs makes')[1]?.split('\n## ')[0] ?? '';
  const documented = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual([...documented].sort(), [...ATOMIC_ERROR_CODES].sort());
  assert.equal(new Set(documented).size, documented.length, 'each code has one row');
});
