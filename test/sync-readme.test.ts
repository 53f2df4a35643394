/**
 * Issue 14: the README's conf-style settings store runs as printed: loaded at start-up,
 * saved synchronously on every change and in an exit handler. Run twice, the second run
 * starts from what the first one saved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENTRY, run } from './helpers/child.js';
import { tmpDir } from './helpers/tmp.js';

const README = new URL('../../README.md', import.meta.url);
const MARKER = '<!-- example: settings-store';

/** The fenced block right after the marker, importing the built package instead of 'atomicfs'. */
function example(): string {
  const text = readFileSync(README, 'utf8');
  const at = text.indexOf(MARKER);
  assert.notEqual(at, -1, 'the README has the settings-store example');
  const start = text.indexOf('```js\n', at) + '```js\n'.length;
  const end = text.indexOf('```', start);
  const code = text.slice(start, end);
  assert.match(code, /from 'atomicfs'/);
  return code.replace("from 'atomicfs'", `from ${JSON.stringify(ENTRY)}`);
}

test("the README's settings store: loaded at start-up, saved on every change and at exit", async () => {
  const dir = await tmpDir();
  const script = join(dir, 'settings-store.mjs');
  writeFileSync(script, example());
  const settings = join(dir, 'settings.json');
  for (const runs of [1, 2]) {
    const r = await run(script, [], { cwd: dir }).done;
    assert.equal(r.code, 0, r.stderr);
    const saved = JSON.parse(readFileSync(settings, 'utf8')) as Record<string, unknown>;
    assert.equal(saved.theme, 'light');
    assert.equal(saved.runs, runs, 'each run starts from what the last one saved');
    assert.ok(!Number.isNaN(Date.parse(String(saved.lastExit))), 'the exit handler saved too');
  }
  // A damaged file is reported, not overwritten with the defaults.
  writeFileSync(settings, '{"theme": "dark", ');
  const r = await run(script, [], { cwd: dir }).done;
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /EPARSE/);
  assert.equal(readFileSync(settings, 'utf8'), '{"theme": "dark", ');
});
