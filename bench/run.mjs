// `npm run bench`: runs the shared harness (../shared/bench, or ATOMICFS_BENCH_HARNESS)
// with the atomicfs adapters beside the peers. The harness folder may be read-only, so it
// is copied to .bench-harness/ (ignored by git) and its own dependencies installed there.
// Extra arguments go to the harness: npm run bench -- --quick --scenarios small
import { cpSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = resolve(process.env.ATOMICFS_BENCH_HARNESS ?? join(root, '..', 'shared', 'bench'));
const harness = join(root, '.bench-harness');

function sh(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!existsSync(join(harness, 'node_modules'))) {
  if (!existsSync(join(source, 'run.mjs'))) {
    console.error(`bench: no harness at ${source} (set ATOMICFS_BENCH_HARNESS)`);
    process.exit(2);
  }
  cpSync(source, harness, { recursive: true, filter: (p) => !p.includes('node_modules') });
  sh('npm', ['ci', '--no-audit', '--no-fund'], harness);
}

const adapters = ['atomicfs.mjs', 'atomicfs-sha256.mjs', 'atomicfs-nofsync.mjs'].flatMap((a) => [
  '--adapter',
  join(root, 'bench', a),
]);
sh(process.execPath, ['run.mjs', ...adapters, ...process.argv.slice(2)], harness);
