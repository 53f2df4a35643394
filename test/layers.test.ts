/**
 * The folder tree is the layering: each layer imports only those below it, the disk
 * seam is the only code that touches node:fs, the command sees only the public entry,
 * and there are no import cycles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

const RANK: Record<string, number> = {
  disk: 0,
  base: 1,
  file: 2,
  lock: 3,
  tx: 4,
  formats: 5,
  backup: 5,
  audit: 5,
  upkeep: 5,
  'index.ts': 6,
  etcd: 6,
  cli: 7,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function layerOf(file: string): string {
  const rel = relative(SRC, file).split('/');
  return rel.length === 1 ? rel[0]! : rel[0]!;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const re = /^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms;
  return [...text.matchAll(re)].map((m) => m[1]!);
}

const all = files(SRC);

test('only the disk seam imports node:fs', () => {
  for (const f of all) {
    if (layerOf(f) === 'disk') continue;
    for (const spec of importsOf(f)) {
      assert.ok(!/^(node:)?fs(\/promises)?$/.test(spec), `${relative(SRC, f)} imports ${spec}`);
    }
  }
});

test('each layer imports only layers below it (or itself)', () => {
  for (const f of all) {
    const from = layerOf(f);
    for (const spec of importsOf(f)) {
      if (!spec.startsWith('.')) continue;
      const to = layerOf(resolve(dirname(f), spec).replace(/\.js$/, '.ts'));
      if (from === to) continue;
      const ok = (RANK[to] ?? 99) < (RANK[from] ?? -1);
      assert.ok(ok, `${relative(SRC, f)} (${from}) imports ${spec} (${to})`);
      if (from === 'cli')
        assert.equal(to, 'index.ts', `the command imports only the public entry: ${relative(SRC, f)} imports ${spec}`);
    }
  }
});

test('no import cycles', () => {
  const graph = new Map<string, string[]>();
  for (const f of all) {
    graph.set(
      f,
      importsOf(f)
        .filter((s) => s.startsWith('.'))
        .map((s) => resolve(dirname(f), s).replace(/\.js$/, '.ts')),
    );
  }
  const state = new Map<string, 'open' | 'done'>();
  const visit = (f: string, trail: string[]): void => {
    if (state.get(f) === 'done') return;
    assert.notEqual(state.get(f), 'open', `cycle: ${[...trail, f].map((p) => relative(SRC, p)).join(' -> ')}`);
    state.set(f, 'open');
    for (const g of graph.get(f) ?? []) visit(g, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of all) visit(f, []);
});
