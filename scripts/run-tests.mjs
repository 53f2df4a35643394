// Runs every compiled test file under dist/test with node's test runner.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

// dist/test/windows is the Windows suite, run by `npm run test:windows` (scripts/test-windows.sh).
function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (p === join('dist', 'test', 'windows')) return [];
    if (statSync(p).isDirectory()) return find(p);
    return name.endsWith('.test.js') ? [p] : [];
  });
}
const only = process.argv.slice(2);
const files = (only.length ? only : find('dist/test')).sort();
// Every test gets a bound, so that a hang (a deadlock, a lost wake-up) fails instead of
// stalling the whole run. The runner applies it to each test file as a whole too, so it
// must cover the longest file (the crash explorations) on a loaded machine; tests that
// can hang (locks, races) carry a tighter bound of their own. Larger explorations
// through the environment may raise it.
const timeout = Number(process.env.ATOMICFS_TEST_TIMEOUT_MS ?? 900_000);
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', `--test-timeout=${timeout}`, ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
