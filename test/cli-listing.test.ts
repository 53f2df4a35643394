/**
 * Listings made for people: `backups list`, `audit show` and `backups restore` print one
 * line per batch within the width (120 off a terminal), paths only with --files or
 * `show <id>`; --json keeps every field; a missing store or log is an error naming it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile as fsWriteFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditLog, BackupStore, withTransaction } from '../src/index.js';
import { cut, fitTable, printable, widthFor } from '../src/cli/listing.js';
import { CLI, jsonOf, runCli } from './helpers/cli-run.js';
import { waitFor } from './helpers/cli-files.js';
import { Tmux, tmuxAvailable } from './helpers/cli-tmux.js';
import { tmpDir } from './helpers/tmp.js';

const FILES = 150;

/** A folder of notes with long paths, changed in one batch kept in a store and an audit log. */
async function batchOfNotes(): Promise<{ dir: string; store: string; log: string; paths: string[] }> {
  const dir = await tmpDir();
  const notes = join(dir, 'a-folder-of-notes-with-a-rather-long-name', 'and-a-subfolder-too');
  await mkdir(notes, { recursive: true });
  const paths = Array.from({ length: FILES }, (_, i) =>
    join(notes, `note-number-${String(i).padStart(4, '0')}-about-something.md`),
  );
  for (const p of paths) await fsWriteFile(p, 'old\n');
  const store = join(dir, 'backups');
  const log = join(dir, 'audit.log');
  await withTransaction(
    (tx) => {
      for (const p of paths.slice(0, -10)) tx.writeFile(p, 'new\n');
      for (const p of paths.slice(-10)) tx.deleteFile(p);
    },
    { root: dir, backup: new BackupStore(store), audit: new AuditLog(log), name: 'notes of the week' },
  );
  return { dir, store, log, paths };
}

function assertFits(text: string, width: number): void {
  for (const line of text.split('\n')) assert.ok([...line].length <= width, `${[...line].length} > ${width}: ${line}`);
}

test('backups list: one line per batch within 120 columns; --files and show <id> give the paths; --json every field', async () => {
  const { store, paths } = await batchOfNotes();
  const r = await runCli(['backups', 'list', '--backup-dir', store]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 3, r.stdout);
  assertFits(r.stdout, 120);
  assert.match(lines[2]!, /^\d{8}T\d{9}Z-[0-9a-f]{8}\s+\S+Z\s+transaction\s+140\s+0\s+10\s+notes of the week$/);
  assert.ok(!r.stdout.includes('note-number'), 'no path in the plain listing');

  const id = lines[2]!.split(' ')[0]!;
  const narrow = await runCli(['backups', 'list', '--backup-dir', store, '--width', '40']);
  assertFits(narrow.stdout, 40);
  assert.ok(narrow.stdout.split('\n')[2]!.endsWith('…'));

  const withFiles = await runCli(['backups', 'list', '--backup-dir', store, '--files']);
  assert.equal(withFiles.code, 0, withFiles.stderr);
  for (const p of paths.slice(0, -10)) assert.ok(withFiles.stdout.includes(`    ~ ${p}\n`), p);
  for (const p of paths.slice(-10)) assert.ok(withFiles.stdout.includes(`    - ${p}`), p);

  const shown = await runCli(['backups', 'show', id, '--backup-dir', store]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`^backup\\s+${id}\\n`));
  assert.match(shown.stdout, /\nname\s+notes of the week\n/);
  assert.match(shown.stdout, /\nfiles\s+140 changed, 10 deleted\n/);
  assert.equal(shown.stdout.split('\n').filter((l) => /^ {2}[~+-] \//.test(l)).length, FILES);

  const json = jsonOf(await runCli(['backups', 'list', '--backup-dir', store, '--json']));
  const [b] = json.backups as { id: string; files: { path: string; sha256: string }[] }[];
  assert.equal(b?.id, id);
  assert.equal(b?.files.length, FILES);
  assert.match(b?.files[0]?.sha256 ?? '', /^[0-9a-f]{64}$/);
});

test('backups restore prints one line and its undo, the paths only with --files; --no-keep-current keeps no undo', async () => {
  const { store, paths } = await batchOfNotes();
  const backups = async (): Promise<{ id: string; operation: string }[]> =>
    jsonOf(await runCli(['backups', 'list', '--backup-dir', store, '--json'])).backups as {
      id: string;
      operation: string;
    }[];
  const id = (await backups())[0]!.id;
  const r = await runCli(['backups', 'restore', id, '--backup-dir', store]);
  assert.equal(r.code, 0, r.stderr);
  assertFits(r.stdout, 120);
  const [first, second, ...rest] = r.stdout.trimEnd().split('\n');
  assert.equal(first, `restored backup ${id}: ${FILES} files put back`);
  const undo = /^this restore is kept as backup (\S+): restore that to undo it$/.exec(second ?? '')?.[1];
  assert.deepEqual(rest, []);
  assert.deepEqual(
    (await backups()).map((b) => [b.id, b.operation]),
    [
      [undo, 'restore'],
      [id, 'transaction'],
    ],
  );

  const undone = await runCli(['backups', 'restore', undo ?? '', '--backup-dir', store, '--no-keep-current', '--json']);
  assert.equal(undone.code, 0, undone.stderr);
  const doc = jsonOf(undone);
  assert.deepEqual(
    [(doc.restored as string[]).length, (doc.removed as string[]).length, doc.backupId],
    [FILES - 10, 10, undefined],
  );
  assert.equal((await backups()).length, 2, 'no backup of the undo');

  const listed = await runCli(['backups', 'restore', id, '--backup-dir', store, '--files']);
  assert.equal(listed.code, 0, listed.stderr);
  for (const p of paths) assert.ok(listed.stdout.includes(`  ~ ${p}\n`), p);
});

test('audit show: one line per entry with counts and duration; show <seq> gives the paths', async () => {
  const { log, paths } = await batchOfNotes();
  const r = await runCli(['audit', 'show', '--audit', log]);
  assert.equal(r.code, 0, r.stderr);
  assertFits(r.stdout, 120);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 3, r.stdout);
  assert.match(lines[2]!, /^1\s+\S+Z\s+transaction\s+ok\s+140\s+0\s+10\s+[\d.]+ m?s\s+notes of the week$/);
  const one = await runCli(['audit', 'show', '1', '--audit', log]);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^entry\s+1\n/);
  assert.match(one.stdout, /\noutcome\s+ok\n/);
  for (const p of paths) assert.ok(one.stdout.includes(p), p);
  const oneJson = jsonOf(await runCli(['audit', 'show', '1', '--audit', log, '--json']));
  assert.equal((oneJson.entry as { files: unknown[] }).files.length, FILES);
  const none = await runCli(['audit', 'show', '7', '--audit', log]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no entry 7/);
  const bad = await runCli(['audit', 'show', 'x', '--audit', log]);
  assert.equal(bad.code, 2);
});

const noTmux = tmuxAvailable()
  ? false
  : 'tmux is not installed: the terminal width is not checked (apt-get install -y tmux)';
const q = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

test('on a terminal, lines are fitted to its width', { skip: noTmux }, async () => {
  const { store } = await batchOfNotes();
  const status = join(store, '..', 'status');
  const tmux = new Tmux();
  try {
    // The pane is 120 columns; the terminal is told it has 70, which is what the command reads.
    const cmd = `stty cols 70; node ${q(CLI)} backups list --backup-dir ${q(store)}; echo "EXIT:$?" > ${q(status)}; sleep 120`;
    await tmux.start('main', `sh -c ${q(cmd)}`);
    await waitFor(
      'the listing',
      () =>
        readFile(status, 'utf8').then(
          () => true,
          () => false,
        ),
      60_000,
    );
    assert.equal((await readFile(status, 'utf8')).trim(), 'EXIT:0');
    const screen = await tmux.capture('main');
    const row = screen.split('\n').find((l) => /^\d{8}T\d{9}Z-/.test(l));
    assert.ok(row !== undefined, screen);
    assert.equal([...row].length, 70, row);
    assert.ok(row.endsWith('…'), row);
  } finally {
    await tmux.stop();
  }
});

test('a missing store or audit log is an error (status 1) naming the path, for every subcommand', async () => {
  const dir = await tmpDir();
  const typo = join(dir, 'bakcups');
  const id = '20260101T120000000Z-1a2b3c4d';
  for (const args of [['list'], ['show', id], ['restore', id], ['verify', id], ['prune', '--keep', '1']]) {
    const r = await runCli(['backups', ...args, '--backup-dir', typo]);
    assert.equal(r.code, 1, `${args[0] ?? ''}: ${r.stdout}`);
    assert.match(r.stderr, /ENOENT: no backup store at /, args[0]);
    assert.ok(r.stderr.includes(typo), r.stderr);
  }
  for (const sub of ['show', 'summary', 'verify']) {
    const r = await runCli(['audit', sub, '--audit', join(dir, 'audit.lgo')]);
    assert.equal(r.code, 1, sub);
    assert.ok(r.stderr.includes(join(dir, 'audit.lgo')), r.stderr);
  }
  await mkdir(join(dir, 'empty-store'));
  const empty = await runCli(['backups', 'list', '--backup-dir', join(dir, 'empty-store')]);
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stdout, /^no backups in /);
});

test('fitTable: columns aligned, the last one cut with …, every line within the width', () => {
  const lines = fitTable(
    ['A', 'NAME'],
    [
      ['1', 'short'],
      ['22', 'a much longer name than fits'],
    ],
    16,
  );
  assert.deepEqual(lines, ['A   NAME', '--  ------------', '1   short', '22  a much long…']);
  for (const l of fitTable(['AAAAAAAAAA', 'BBBBBBBBBB', 'C'], [['x', 'y', 'z']], 8)) assert.ok([...l].length <= 8, l);
  assert.equal(cut('abcdef', 4), 'abc…');
  assert.equal(cut('abc', 4), 'abc');
});

test('names and paths cannot put control characters (a newline, an escape) on the terminal', () => {
  assert.equal(printable('evil\n\u001b[2Jname'), 'evil??[2Jname');
  const [, , row] = fitTable(['NAME'], [['a\nb']], 120);
  assert.equal(row, 'a?b');
});

test("the width: --width wins (0 = none), else the terminal's, else 120", () => {
  assert.equal(widthFor({}, { isTTY: false }), 120);
  assert.equal(widthFor({}, { isTTY: true, columns: 80 }), 80);
  assert.equal(widthFor({ width: 60 }, { isTTY: true, columns: 80 }), 60);
  assert.equal(widthFor({ width: 0 }, { isTTY: false }), Infinity);
});
