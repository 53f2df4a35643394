// Runs every compiled test file under dist/test with node's test runner.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return find(p);
    return name.endsWith('.test.js') ? [p] : [];
  });
}
const only = process.argv.slice(2);
const files = (only.length ? only : find('dist/test')).sort();
// Every test gets a bound, so that a hang (a deadlock, a lost wake-up) fails that test
// instead of stalling the whole run. Generous: the crash explorations on a loaded machine
// take tens of seconds; larger explorations through the environment may raise it.
const timeout = Number(process.env.ATOMICFS_TEST_TIMEOUT_MS ?? 300_000);
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', `--test-timeout=${timeout}`, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
