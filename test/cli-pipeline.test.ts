/**
 * Safe pipelines: `write <path> -- <command…>` replaces the file only if the producer exits
 * 0; empty input is refused unless --allow-empty; --size is enforced. Every failure leaves
 * the file as it was and no temporary file behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished, jsonOf, runCli, shellStatus, startCli } from './helpers/cli-run.js';
import { largestOther, namesIn, waitFor } from './helpers/cli-files.js';
import { tmpDir } from './helpers/tmp.js';

const NODE = process.execPath;

/** A config file holding 'old', in a fresh folder. */
async function oldConfig(): Promise<{ dir: string; target: string }> {
  const dir = await tmpDir();
  const target = join(dir, 'cfg.json');
  await writeFile(target, 'old\n');
  return { dir, target };
}

async function assertUntouched(dir: string, target: string): Promise<void> {
  assert.equal(await readFile(target, 'utf8'), 'old\n');
  assert.deepEqual(await namesIn(dir), ['cfg.json'], 'no temporary file left');
}

test('a producer that fails after printing: status 1, EPRODUCER naming the file, the file untouched', async () => {
  const { dir, target } = await oldConfig();
  const r = await runCli(['write', target, '--', NODE, '-e', 'process.stdout.write("{\\"half\\":"); process.exit(3)']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /error EPRODUCER: .*cfg\.json: the producer .* exited with status 3/);
  assert.match(r.stderr, /nothing was changed/);
  await assertUntouched(dir, target);
});

test('a producer ended by a signal, or that cannot be started: status 1, the file untouched', async () => {
  const { dir, target } = await oldConfig();
  const killed = await runCli([
    'write',
    target,
    '--json',
    '--',
    NODE,
    '-e',
    'process.stdout.write("x".repeat(70000)); process.kill(process.pid, "SIGKILL")',
  ]);
  assert.equal(killed.code, 1, killed.stderr);
  assert.match(killed.stderr, /was ended by SIGKILL/);
  assert.equal((jsonOf(killed).error as { code: string }).code, 'EPRODUCER');
  await assertUntouched(dir, target);
  const missing = await runCli(['write', target, '--', join(dir, 'no-such-producer')]);
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /error EPRODUCER \(ENOENT\): .*cannot start the producer/);
  await assertUntouched(dir, target);
});

test('a producer that exits 0: its output, streamed, replaces the file (write and create)', async () => {
  const { dir, target } = await oldConfig();
  const script =
    'for (let i = 0; i < 64; i++) process.stdout.write(Buffer.alloc(65536, i)); process.stdout.write("end")';
  const r = await runCli(['write', target, '--json', '--', NODE, '-e', script]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(jsonOf(r).bytes, 64 * 65536 + 3);
  const body = await readFile(target);
  assert.equal(body.length, 64 * 65536 + 3);
  assert.equal(body[65536 * 5], 5);
  assert.deepEqual(await namesIn(dir), ['cfg.json']);
  const created = await runCli(['create', join(dir, 'new.txt'), '--', NODE, '-e', 'console.log("fresh")']);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(await readFile(join(dir, 'new.txt'), 'utf8'), 'fresh\n');
});

test('the producer reads our stdin and its stderr reaches ours', async () => {
  const { target } = await oldConfig();
  const r = await runCli(
    ['write', target, '--', NODE, '-e', 'process.stdin.pipe(process.stdout); console.error("note from producer")'],
    { input: 'piped through\n' },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await readFile(target, 'utf8'), 'piped through\n');
  assert.match(r.stderr, /note from producer/);
});

test('operands without -- are a usage error (status 2): nothing is run, the file untouched', async () => {
  const { dir, target } = await oldConfig();
  const r = await runCli(['write', target, join(dir, 'other.json')], { input: 'new\n' });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /put it after --/);
  await assertUntouched(dir, target);
});

test('empty input is refused (EEMPTY, status 1) unless --allow-empty or --size 0', async () => {
  const { dir, target } = await oldConfig();
  const fromStdin = await runCli(['write', target]);
  assert.equal(fromStdin.code, 1, fromStdin.stderr);
  assert.match(fromStdin.stderr, /error EEMPTY: .*cfg\.json: the input is empty.*--allow-empty/);
  await assertUntouched(dir, target);
  const fromProducer = await runCli(['write', target, '--', NODE, '-e', '']);
  assert.equal(fromProducer.code, 1, fromProducer.stderr);
  assert.match(fromProducer.stderr, /EEMPTY/);
  await assertUntouched(dir, target);
  const creating = await runCli(['create', join(dir, 'empty.txt')]);
  assert.equal(creating.code, 1, creating.stderr);
  await assertUntouched(dir, target);

  const allowed = await runCli(['write', target, '--allow-empty']);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.equal(await readFile(target, 'utf8'), '');
  await writeFile(target, 'old\n');
  const sized = await runCli(['write', target, '--size', '0']);
  assert.equal(sized.code, 0, sized.stderr);
  assert.equal(await readFile(target, 'utf8'), '');
});

test('--size is enforced: a longer or a shorter input fails (ESIZE), the exact size lands', async () => {
  const { dir, target } = await oldConfig();
  const longer = await runCli(['write', target, '--size', '3'], { input: 'hello\n' });
  assert.equal(longer.code, 1, longer.stderr);
  assert.match(longer.stderr, /error ESIZE: .*cfg\.json: the input is longer than --size 3 bytes/);
  await assertUntouched(dir, target);
  const shorter = await runCli(['write', target, '--size', '30'], { input: 'hello\n' });
  assert.equal(shorter.code, 1, shorter.stderr);
  assert.match(shorter.stderr, /the input ended after 6 bytes, --size says 30/);
  await assertUntouched(dir, target);
  const producerShort = await runCli(['write', target, '--size', '30', '--', NODE, '-e', 'console.log("hello")']);
  assert.equal(producerShort.code, 1, producerShort.stderr);
  await assertUntouched(dir, target);
  const exact = await runCli(['write', target, '--size', '6'], { input: 'hello\n' });
  assert.equal(exact.code, 0, exact.stderr);
  assert.equal(await readFile(target, 'utf8'), 'hello\n');
});

test('SIGTERM while the producer runs: status 143, the producer ended, the file untouched', async () => {
  const { dir, target } = await oldConfig();
  const pidFile = join(await tmpDir(), 'producer.pid');
  const script = `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); process.stdout.write(Buffer.alloc(1 << 20, 1)); setInterval(() => {}, 1000)`;
  const child = startCli(['write', target, '--', NODE, '-e', script]);
  const done = finished(child);
  await waitFor('the producer output to be on disk', async () => (await largestOther(dir, 'cfg.json')) >= 1 << 20);
  child.kill('SIGTERM');
  const r = await done;
  assert.equal(shellStatus(r), 143, r.stderr);
  await assertUntouched(dir, target);
  const pid = Number(await readFile(pidFile, 'utf8'));
  await waitFor('the producer to end', () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
});
