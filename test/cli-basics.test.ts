/** The command's surface: help with an example for every subcommand, version, usage errors (2). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { runCli } from './helpers/cli-run.js';

const SUBCOMMANDS = [
  ['write'],
  ['create'],
  ['rm'],
  ['cp'],
  ['mv'],
  ['apply'],
  ['recover'],
  ['backups'],
  ['backups', 'list'],
  ['backups', 'show'],
  ['backups', 'restore'],
  ['backups', 'prune'],
  ['audit'],
  ['audit', 'show'],
  ['audit', 'verify'],
  ['audit', 'summary'],
  ['lock'],
  ['sha256'],
  ['rotate'],
  ['merge'],
  ['cleanup'],
  ['backups', 'verify'],
];

test('--help lists every subcommand, the exit statuses and an example', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const name of [
    'write',
    'create',
    'rm',
    'cp',
    'mv',
    'apply',
    'recover',
    'backups',
    'audit',
    'lock',
    'sha256',
    'rotate',
    'merge',
    'cleanup',
  ]) {
    assert.match(r.stdout, new RegExp(`^\\s+${name}\\b`, 'm'), `${name} missing from --help`);
  }
  assert.match(r.stdout, /Exit status: 0 success, 1 .* 2 usage error/s);
  assert.match(r.stdout, /Example:\n\s+\S/);
});

/** Runs `fn` over `items`, a few at a time (each item spawns a process). */
async function eachBatched<T>(items: readonly T[], fn: (item: T) => Promise<void>, width = 4): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}

test('every subcommand has --help with an example', async () => {
  await eachBatched(SUBCOMMANDS, async (path) => {
    const r = await runCli([...path, '--help']);
    assert.equal(r.code, 0, `${path.join(' ')} --help: ${r.stderr}`);
    assert.match(r.stdout, /^Usage: atomicfs /m, path.join(' '));
    assert.match(r.stdout, /Example[^\n]*:\n\s+\S/, `${path.join(' ')} --help has no example`);
  });
});

test('--version prints the package version', async () => {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const r = await runCli(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('usage errors exit with 2 and say what is wrong on stderr', async () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['write'], /missing required argument 'path'/],
    [['write', 'x', '--mode', 'rw-r--r--'], /--mode.*expected octal permission bits/],
    [['rotate', 'x'], /--max-files/],
    [['rotate', 'x', '--max-files', '0'], /at least 1/],
    [['lock', 'x', '--timeout', 'soon', '--', 'true'], /--timeout.*milliseconds/],
    [['merge', 'a.json', '--out', 'b.json', '--strategy', 'sideways'], /--strategy.*deep, shallow/],
    [['write', 'x', '--no-such-flag'], /unknown option '--no-such-flag'/],
    [[], /Usage: atomicfs/],
  ];
  await eachBatched(cases, async ([args, message]) => {
    const r = await runCli(args);
    assert.equal(r.code, 2, `atomicfs ${args.join(' ')}: expected status 2, got ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, message, `atomicfs ${args.join(' ')}`);
    assert.equal(r.stdout, '', `atomicfs ${args.join(' ')} printed on stdout`);
  });
});
