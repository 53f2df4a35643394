import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonErrorOffset } from '../src/base/json-position.js';

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

test('jsonErrorOffset agrees with JSON.parse on valid JSON', () => {
  fc.assert(fc.property(fc.json(), (text) => jsonErrorOffset(text) === -1));
});

test('jsonErrorOffset agrees with JSON.parse on mutated JSON, and points inside the text', () => {
  fc.assert(
    fc.property(fc.json(), fc.nat(), fc.constantFrom('', ',', '}', ']', '"', 'x', ':', ' '), (text, at, ins) => {
      const i = at % (text.length + 1);
      const mutated = text.slice(0, i) + ins + text.slice(i + 1);
      const offset = jsonErrorOffset(mutated);
      assert.equal(offset === -1, parses(mutated), mutated);
      assert.ok(offset <= mutated.length);
    }),
  );
});
