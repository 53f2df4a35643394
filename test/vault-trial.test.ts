/**
 * The notes-vault trial (issue 16), end to end, through the library and the command, on a
 * generated vault (ATOMICFS_VAULT_NOTES notes, default 2,000, in ATOMICFS_VAULT_FOLDERS
 * folders, default 250):
 * a named batch that adds notes in new folders; the backup listed on one line; `restore`
 * back to a byte-and-mode-identical vault (new notes and folders gone); the restore undone;
 * a plan applied by the command into new folders; a batch SIGKILLed mid-commit, then
 * recovery that leaves the vault as it was and writes an audit entry; listings within 120
 * columns; a failing producer that leaves its file untouched. Each step's time is printed
 * (as a test diagnostic) for the record, never asserted.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, writeFile as fsWriteFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AuditLog, BackupStore, withTransaction } from '../src/index.js';
import { childScript, run, waitFor } from './helpers/child.js';
import { jsonOf, runCli, type CliResult } from './helpers/cli-run.js';
import { sizeFromEnv, tmpDir } from './helpers/tmp.js';
import { journals, leftovers, locksLeft } from './helpers/tx-files.js';

const NOTES = sizeFromEnv('ATOMICFS_VAULT_NOTES', 2000);
const FOLDERS = sizeFromEnv('ATOMICFS_VAULT_FOLDERS', 250);
const TOPS = Math.max(1, Math.round(Math.sqrt(FOLDERS / 2)));
const WIDTH = 120;

/** The vault's state: every folder's mode, every file's SHA-256 and mode (state and lock entries left out). */
type Snapshot = Map<string, string>;

/** `fn` over `items`, `width` at a time (thousands of small files: latency, not bandwidth). */
async function inBatches<T>(items: readonly T[], fn: (item: T) => Promise<void>, width = 32): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}

async function snapshot(root: string): Promise<Snapshot> {
  const out: Snapshot = new Map();
  const entries = (await readdir(root, { withFileTypes: true, recursive: true }))
    .map((e) => ({ path: join(e.parentPath, e.name), dir: e.isDirectory() }))
    .filter(
      (e) =>
        !relative(root, e.path)
          .split('/')
          .some((part) => part === '.atomicfs' || part.endsWith('.atomicfs-lock')),
    );
  await inBatches(entries, async (e) => {
    const mode = ((await stat(e.path)).mode & 0o7777).toString(8);
    if (e.dir) out.set(`${relative(root, e.path)}/`, mode);
    else
      out.set(
        relative(root, e.path),
        `${mode} ${createHash('sha256')
          .update(await readFile(e.path))
          .digest('hex')}`,
      );
  });
  return out;
}

function assertSameVault(actual: Snapshot, expected: Snapshot, what: string): void {
  const missing = [...expected.keys()].filter((k) => actual.get(k) !== expected.get(k));
  const extra = [...actual.keys()].filter((k) => !expected.has(k));
  assert.deepEqual(
    { missing: missing.slice(0, 5), extra: extra.slice(0, 5) },
    { missing: [], extra: [] },
    `${what}: ${missing.length} differ or missing, ${extra.length} extra`,
  );
}

function noteText(i: number, version: string): string {
  return `# Note ${i} (${version})\n\n${'Some thoughts about a topic, written down. '.repeat(1 + (i % 9))}\n`;
}

/** NOTES notes in FOLDERS folders (TOPS top folders, the rest below them); some notes private (0600). */
async function makeVault(root: string): Promise<string[]> {
  const folders: string[] = [];
  for (let t = 0; t < TOPS; t++) folders.push(join(root, `area-${t}`));
  for (let f = 0; folders.length < FOLDERS; f++) folders.push(join(root, `area-${f % TOPS}`, `topic-${f}`));
  for (const d of folders) await mkdir(d, { recursive: true });
  const notes = Array.from({ length: NOTES }, (_, i) =>
    join(folders[i % folders.length]!, `note-${String(i).padStart(5, '0')}.md`),
  );
  await inBatches(
    notes.map((p, i) => [p, i] as const),
    async ([p, i]) => {
      await fsWriteFile(p, noteText(i, 'v1'));
      if (i % 7 === 0) await chmod(p, 0o600);
    },
  );
  return notes;
}

function assertReadable(r: CliResult, what: string): void {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  for (const line of r.stdout.split('\n'))
    assert.ok([...line].length <= WIDTH, `${what}: a line of ${[...line].length} columns: ${line}`);
}

/** Times each step, printed at the end as the trial's figures. */
class Clock {
  private readonly marks: [string, number][] = [];
  private last = performance.now();
  private readonly started = this.last;

  lap(step: string): void {
    const now = performance.now();
    this.marks.push([step, now - this.last]);
    this.last = now;
  }

  report(t: TestContext): void {
    for (const [step, ms] of this.marks) t.diagnostic(`vault trial: ${step}: ${Math.round(ms)} ms`);
    t.diagnostic(
      `vault trial: total ${Math.round(performance.now() - this.started)} ms (${NOTES} notes, ${FOLDERS} folders)`,
    );
  }
}

/** The child killed mid-batch: its batch stalls in staging (one note's content never ends) after the journal is written. */
const KILLED_BATCH = `
const [vault, store, log, count] = process.argv.slice(2);
const { readdirSync } = await import('node:fs');
const { join } = await import('node:path');
const notes = readdirSync(vault, { recursive: true }).map(String).filter((n) => n.endsWith('.md')).sort().slice(0, Number(count));
async function* stalled() {
  yield Buffer.from('# half a note\\n');
  process.stdout.write('stalled\\n');
  // A timer, not a bare pending promise: with nothing left to do, node would exit by itself.
  await new Promise((resolve) => setTimeout(resolve, 3_600_000));
}
await atomicfs.withTransaction((tx) => {
  for (const n of notes) tx.writeFile(join(vault, n), 'rewritten by a batch that will be killed\\n');
  for (let i = 0; i < 10; i++) tx.writeFile(join(vault, 'doomed', 'deep', 'er', 'n' + i + '.md'), 'never\\n');
  tx.writeFile(join(vault, 'doomed', 'stalled.md'), stalled());
}, { root: vault, backup: new atomicfs.BackupStore(store), audit: new atomicfs.AuditLog(log), name: 'killed batch' });
`;

test(
  `the notes-vault trial: ${NOTES} notes in ${FOLDERS} folders, through the library and the command`,
  { timeout: 10 * 60_000 },
  async (t) => {
    const clock = new Clock();
    const dir = await tmpDir('atomicfs-vault-');
    const vault = join(dir, 'vault');
    const storeDir = join(dir, 'backups');
    const logFile = join(dir, 'audit.log');
    const notes = await makeVault(vault);
    const store = new BackupStore(storeDir);
    const audit = new AuditLog(logFile);
    const s0 = await snapshot(vault);
    clock.lap('generate the vault');

    // 1. Library: a named batch of 200 edits, 20 deletes, 30 new notes (half in new folders).
    const edits = notes.slice(0, Math.min(200, Math.floor(NOTES / 4)));
    const deletes = notes.slice(edits.length, edits.length + Math.min(20, Math.floor(NOTES / 20)));
    const created = Array.from({ length: 30 }, (_, i) =>
      i % 2 === 0
        ? join(vault, 'new-project', `part-${i % 3}`, `idea-${i}.md`)
        : join(vault, 'area-0', `fresh-${i}.md`),
    );
    await withTransaction(
      (tx) => {
        for (const p of edits) tx.writeFile(p, 'edited in the meeting\n');
        for (const p of deletes) tx.deleteFile(p);
        for (const p of created) tx.writeFile(p, 'a new note\n');
      },
      { root: vault, backup: store, audit, name: 'import meeting notes' },
    );
    const s1 = await snapshot(vault);
    assert.equal(await readFile(created[0]!, 'utf8'), 'a new note\n', 'a note in a new folder');
    clock.lap(`library batch (${edits.length} edits, ${deletes.length} deletes, ${created.length} new)`);

    // 2. Command: the batch is one readable line, found by its name, with its counts.
    const [listed, shown] = await Promise.all([
      runCli(['backups', 'list', '--backup-dir', storeDir, '--name', 'MEETING']),
      runCli(['audit', 'show', '--audit', logFile]),
    ]);
    assertReadable(listed, 'backups list');
    const rows = listed.stdout.trimEnd().split('\n').slice(2);
    assert.equal(rows.length, 1, listed.stdout);
    assert.match(
      rows[0]!,
      new RegExp(
        `^\\S+\\s+\\S+\\s+transaction\\s+${edits.length}\\s+${created.length}\\s+${deletes.length}\\s+import meeting notes$`,
      ),
    );
    const batchId = rows[0]!.split(' ')[0]!;
    assertReadable(shown, 'audit show');
    assert.match(
      shown.stdout,
      new RegExp(
        `\\n1\\s+\\S+\\s+transaction\\s+ok\\s+${edits.length}\\s+${created.length}\\s+${deletes.length}\\s+[\\d.]+ m?s\\s+import meeting notes\\n`,
      ),
    );
    clock.lap('command: backups list, audit show');

    // 3. Command: restore = undo. Byte and mode identical, new notes and folders gone.
    const restored = await runCli(['backups', 'restore', batchId, '--backup-dir', storeDir, '--audit', logFile]);
    assertReadable(restored, 'backups restore');
    assertSameVault(await snapshot(vault), s0, 'after restore');
    const undoId = /this restore is kept as backup (\S+): restore that to undo it/.exec(restored.stdout)?.[1];
    assert.ok(undoId, restored.stdout);
    const [newest] = await store.list();
    assert.deepEqual([newest?.id, newest?.operation], [undoId, 'restore']);
    const [lastEntry] = (await audit.entries()).slice(-1);
    assert.equal(lastEntry?.operation, 'restore');
    clock.lap('command: restore to the byte-and-mode-identical vault');

    // 4. Library: the restore undone.
    await store.restore(undoId, { audit });
    assertSameVault(await snapshot(vault), s1, 'after undoing the restore');
    clock.lap('library: the restore undone');

    // 5. Command: a named plan into new folders.
    const plan = join(dir, 'weekly.json');
    const planned = Array.from({ length: 20 }, (_, i) => ({
      op: 'write',
      path: `archive/2026/w${String(i % 4).padStart(2, '0')}/summary-${i}.md`,
      content: `week ${i}\n`,
    }));
    await fsWriteFile(plan, JSON.stringify({ name: 'weekly review', operations: planned }));
    const applied = await runCli(['apply', plan, '--root', vault, '--backup-dir', storeDir, '--audit', logFile]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(await readFile(join(vault, 'archive/2026/w03/summary-19.md'), 'utf8'), 'week 19\n');
    clock.lap('command: a named plan into new folders');

    // 6. A batch SIGKILLed mid-commit; recovery by the command leaves the vault as it was and audits it.
    const s2 = await snapshot(vault);
    const script = await childScript(dir, 'killed-batch.mjs', KILLED_BATCH);
    const killed = run(script, [vault, storeDir, logFile, String(Math.min(100, NOTES))]);
    await waitFor(killed.child, 'stalled');
    assert.ok((await readdir(join(vault, 'doomed'))).length > 0, 'the killed batch had made its folders');
    killed.child.kill('SIGKILL');
    const end = await killed.done;
    assert.equal(
      end.signal,
      'SIGKILL',
      `the child died by our kill, not by itself (status ${String(end.code)}): ${end.stderr}`,
    );
    clock.lap('a batch killed mid-commit');
    const recovered = await runCli(['recover', vault, '--audit', logFile, '--json']);
    assert.equal(recovered.code, 0, recovered.stderr);
    assert.equal((jsonOf(recovered).report as { rolledBack: number }).rolledBack, 1);
    assertSameVault(await snapshot(vault), s2, 'after recovering the killed batch');
    assert.deepEqual(
      [leftovers(vault), journals(vault), locksLeft(vault)],
      [[], [], []],
      'nothing of the killed batch is left',
    );
    const recoveredEntry = (await audit.entries({ operation: 'recover' })).at(-1);
    assert.equal(recoveredEntry?.outcome, 'rolled-back');
    assert.equal((recoveredEntry as { name?: string } | undefined)?.name, 'killed batch');
    const firstNote = recoveredEntry?.files.find((f) => f.before !== null);
    assert.ok(firstNote, 'the entry names the files with their hashes before');
    assert.equal(
      firstNote.before,
      createHash('sha256')
        .update(await readFile(firstNote.path))
        .digest('hex'),
    );
    const pruned = await runCli(['backups', 'prune', '--backup-dir', storeDir, '--json']);
    assert.equal(pruned.code, 0, pruned.stderr);
    for (const name of await readdir(storeDir)) {
      if (name.endsWith('.atomicfs-lock')) continue;
      assert.ok(
        (await readdir(join(storeDir, name))).includes('manifest.json'),
        `an unfinished backup is left: ${name}`,
      );
    }
    clock.lap('command: recover (audited) and prune');

    // 7. Command: a failing producer leaves the file untouched, with no temporary file.
    const index = notes[NOTES - 1]!;
    const before = await readFile(index);
    const failed = await runCli([
      'write',
      index,
      '--',
      process.execPath,
      '-e',
      'process.stdout.write("half a no"); process.exit(3)',
    ]);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, /EPRODUCER/);
    assert.deepEqual(await readFile(index), before);
    assert.deepEqual(leftovers(vault), []);
    clock.lap('command: a failing producer');

    // 8. The record: every listing readable, the chain whole, rollbacks and timings summarised.
    const [finalList, finalShow, finalSummary] = await Promise.all([
      runCli(['backups', 'list', '--backup-dir', storeDir]),
      runCli(['audit', 'show', '--audit', logFile]),
      runCli(['audit', 'summary', '--audit', logFile]),
    ]);
    assertReadable(finalList, 'backups list');
    assertReadable(finalShow, 'audit show');
    assertReadable(finalSummary, 'audit summary');
    assert.equal(finalList.stdout.trimEnd().split('\n').length, 2 + 4, 'the batch, the restore, its undo and the plan');
    assert.match(finalList.stdout, /\n\S+\s+\S+\s+transaction\s+0\s+20\s+0\s+weekly review\n/);
    assert.match(finalSummary.stdout, /\nrecover\s+1\s+0\s+1\s+0\s+100%/);
    const summary = await audit.summary();
    assert.ok(summary.operations.recover?.rolledBack === 1, JSON.stringify(summary.operations));
    assert.equal(typeof summary.operations.transaction?.p95Ms, 'number');
    assert.equal((await audit.verify()).ok, true);
    clock.lap('command: final listings and summary');
    clock.report(t);
  },
);
