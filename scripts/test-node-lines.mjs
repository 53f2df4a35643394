// `npm run test:node-lines [-- [--no-build] [--except-current] LINE...]`: runs the whole
// compiled suite (dist/test) under each Node line (default 20 22 24 26), one after another.
// Lines other than the running node's come from the npm registry (see node-builds.mjs).
//
// The suite is compiled once, by Node 20 (the oldest line supported: what it compiles is
// what every newer line must run), unless --no-build says dist/ is fresh. --except-current
// leaves out the running node's line, for a caller that has just run `npm test` with it.
// Every line runs even when one fails; the exit status says whether all passed.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentLine, envFor, nodeFor, npm, run, versionOf } from './node-builds.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FLAGS = ['--no-build', '--except-current'];
const args = process.argv.slice(2);
const bad = args.filter((a) => !FLAGS.includes(a) && !/^\d+$/.test(a));
if (bad.length) {
  console.error(`test-node-lines: unknown argument ${bad.join(' ')}`);
  console.error('usage: test-node-lines.mjs [--no-build] [--except-current] [LINE...]   (default lines: 20 22 24 26)');
  process.exit(2);
}
const named = args.filter((a) => /^\d+$/.test(a)).map(Number);
const lines = (named.length ? named : [20, 22, 24, 26]).filter(
  (l) => !(args.includes('--except-current') && l === currentLine),
);

if (!args.includes('--no-build')) {
  const node20 = nodeFor(20);
  console.error(`test-node-lines: compiling with Node ${versionOf(node20)}`);
  for (const script of ['build', 'build:test']) {
    if (run(npm, ['run', '--silent', script], { cwd: root, env: envFor(node20) }) !== 0) process.exit(1);
  }
}

const results = [];
for (const line of lines) {
  const node = nodeFor(line);
  const version = versionOf(node);
  console.error(`\ntest-node-lines: the suite on Node ${version} (${node})`);
  const started = Date.now();
  const status = run(node, [join(root, 'scripts', 'run-tests.mjs')], { cwd: root, env: envFor(node) });
  results.push({ version, status, seconds: Math.round((Date.now() - started) / 1000) });
}

console.error('\ntest-node-lines:');
for (const r of results)
  console.error(`  Node ${r.version}: ${r.status === 0 ? 'passed' : `FAILED (exit ${r.status})`} in ${r.seconds} s`);
process.exit(results.every((r) => r.status === 0) ? 0 : 1);
