/**
 * The promises every single-file write makes (writeFile, createFile, atomicWrite,
 * copyFile, moveFile), checked against each of them: content, mode and owner, symbolic
 * links, verify, aborts, error messages, retries and call order.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  readFile,
  readdir,
  readlink,
  stat,
  symlink,
  writeFile as fsWriteFile,
} from 'node:fs/promises';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from './helpers/tmp.js';
import { WRITE_OPS, tempsIn } from './helpers/file-ops.js';
import { alteringReads, deniedDisk, failingRename, faultDisk } from './helpers/file-disks.js';
import type { Disk } from '../src/index.js';

const isRoot = process.getuid?.() === 0;

/** Asserts `err` carries `code` and names `path` in its message. */
function assertNames(err: unknown, code: string, path: string): true {
  const e = err as NodeJS.ErrnoException;
  assert.equal(e.code, code, `code of ${String(e.message)}`);
  assert.ok(e.message.includes(path), `message names ${path}: ${e.message}`);
  return true;
}

/** A disk whose commit call (rename or link) fails `times` times with `code`. */
function failingCommit(call: 'rename' | 'link', code: string, times: number): { disk: Disk; attempts: () => number } {
  if (call === 'rename') return failingRename(code, times);
  const disk = faultDisk();
  disk.fail('link', code, times);
  return { disk, attempts: () => disk.count('link') };
}

for (const op of WRITE_OPS) {
  describe(op.name, () => {
    test('writes a new file, leaving no temporary file', async () => {
      const dir = await tmpDir();
      const p = join(dir, 'new.txt');
      await op.run(p, 'hello');
      assert.equal(await readFile(p, 'utf8'), 'hello');
      assert.deepEqual(await readdir(dir), ['new.txt']);
    });

    test('relative paths resolve against the working directory', async () => {
      const dir = await tmpDir();
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        await op.run('rel.txt', 'relative');
      } finally {
        process.chdir(cwd);
      }
      assert.equal(await readFile(join(dir, 'rel.txt'), 'utf8'), 'relative');
    });

    if (op.replaces) {
      test('replaces an existing file', async () => {
        const dir = await tmpDir();
        const p = join(dir, 'f');
        await fsWriteFile(p, 'old content, longer than the new');
        await op.run(p, 'new');
        assert.equal(await readFile(p, 'utf8'), 'new');
        assert.deepEqual(await readdir(dir), ['f']);
      });
    } else {
      test('refuses an existing file with EEXIST, leaving it as it was', async () => {
        const dir = await tmpDir();
        const p = join(dir, 'f');
        await fsWriteFile(p, 'old');
        await assert.rejects(op.run(p, 'new'), (err) => assertNames(err, 'EEXIST', p));
        assert.equal(await readFile(p, 'utf8'), 'old');
        assert.deepEqual(await readdir(dir), ['f']);
      });
    }

    if (op.isMove) {
      test("keeps the moved file's mode, and refuses a mode option", async () => {
        const dir = await tmpDir();
        const p = join(dir, 'f');
        await fsWriteFile(p, 'old');
        await chmod(p, 0o640);
        await op.run(p, 'new'); // the source is created 0o644
        assert.equal((await stat(p)).mode & 0o7777, 0o644);
        await assert.rejects(op.run(p, 'newer', { mode: 0o600 }), (err) => assertNames(err, 'EINVAL', 'mode'));
        assert.equal(await readFile(p, 'utf8'), 'new');
      });
    } else {
      if (op.replaces) {
        test("keeps the replaced file's mode", async () => {
          const dir = await tmpDir();
          const p = join(dir, 'f');
          await fsWriteFile(p, 'old');
          await chmod(p, 0o640);
          await op.run(p, 'new');
          assert.equal((await stat(p)).mode & 0o7777, 0o640);
        });
      }
      test('an explicit mode wins', async () => {
        const dir = await tmpDir();
        const p = join(dir, 'f');
        await op.run(p, 'new', { mode: 0o604 });
        assert.equal((await stat(p)).mode & 0o7777, 0o604);
      });
      test('the temporary file is 0600 while it is written', async () => {
        const dir = await tmpDir();
        const modes: number[] = [];
        await op.run(join(dir, 'f'), 'x'.repeat(1000), {
          mode: 0o644,
          onProgress: () => {
            for (const n of readdirSync(dir).filter((n) => n.endsWith('.atomicfs-tmp')))
              modes.push(statSync(join(dir, n)).mode & 0o7777);
          },
        });
        assert.ok(modes.length > 0, 'saw the temporary file');
        assert.deepEqual([...new Set(modes)], [0o600]);
        assert.equal((await stat(join(dir, 'f'))).mode & 0o7777, 0o644);
      });
    }

    if (op.name !== 'copyFile' && !op.isMove) {
      test('a new file gets 0o666 & ~umask', async () => {
        const dir = await tmpDir();
        const p = join(dir, 'f');
        const old = process.umask(0o027);
        try {
          await op.run(p, 'new');
        } finally {
          process.umask(old);
        }
        assert.equal((await stat(p)).mode & 0o7777, 0o640);
      });
    } else {
      test("a new file gets the source's mode", async () => {
        const dir = await tmpDir();
        const p = join(dir, 'f');
        // The source is created 0o644 (or less under the umask); the copy matches it.
        await op.run(p, 'new');
        assert.equal((await stat(p)).mode & 0o7777, 0o644 & ~process.umask());
      });
    }

    if (op.replaces && !op.isMove) {
      test("keeps the replaced file's owner (as root)", { skip: !isRoot && 'needs root' }, async () => {
        const dir = await tmpDir();
        const p = join(dir, 'f');
        await fsWriteFile(p, 'old');
        await chown(p, 1234, 1234);
        await op.run(p, 'new');
        const st = await stat(p);
        assert.deepEqual([st.uid, st.gid], [1234, 1234]);
        assert.equal(await readFile(p, 'utf8'), 'new');
      });
    }

    if (op.replaces) {
      test('through a symbolic link: replaces the file it points to and keeps the link', async () => {
        const dir = await tmpDir();
        await mkdir(join(dir, 'real'));
        const real = join(dir, 'real', 'config');
        await fsWriteFile(real, 'old');
        const link = join(dir, 'link');
        await symlink('real/config', link);
        await op.run(link, 'new');
        assert.ok((await lstat(link)).isSymbolicLink());
        assert.equal(await readlink(link), 'real/config');
        assert.equal(await readFile(real, 'utf8'), 'new');
        assert.deepEqual(await tempsIn(join(dir, 'real')), []);
      });
    }

    if (!op.isMove) {
      test('verify: true passes on a healthy disk', async () => {
        const dir = await tmpDir();
        const p = join(dir, 'f');
        await op.run(p, 'checked', { verify: true });
        assert.equal(await readFile(p, 'utf8'), 'checked');
      });

      // The result's hash is off by default, but verify still needs (and makes) one.
      for (const sha256 of [undefined, true]) {
        test(`verify: true${sha256 === true ? ' with sha256: true' : ''} fails with EINTEGRITY when the read-back differs; target unchanged`, async () => {
          const dir = await tmpDir();
          const p = join(dir, 'f');
          if (op.replaces) await fsWriteFile(p, 'old');
          // Reads flip the first byte. (A copy reads its source flipped too, and the
          // read-back flips it again: still not what was written, so still caught.)
          const disk = alteringReads();
          await assert.rejects(op.run(p, 'payload', { verify: true, disk, sha256 }), (err) =>
            assertNames(err, 'EINTEGRITY', p),
          );
          if (op.replaces) assert.equal(await readFile(p, 'utf8'), 'old');
          else await assert.rejects(stat(p), { code: 'ENOENT' });
          assert.deepEqual(await tempsIn(dir), []);
        });
      }
    }

    test('an abort before the call leaves everything as it was', async () => {
      const dir = await tmpDir();
      const p = join(dir, 'f');
      if (op.replaces) await fsWriteFile(p, 'old');
      await assert.rejects(op.run(p, 'new', { signal: AbortSignal.abort() }), { code: 'ABORT_ERR' });
      if (op.replaces) assert.equal(await readFile(p, 'utf8'), 'old');
      assert.deepEqual(await tempsIn(dir), []);
    });

    test('a missing parent directory is ENOENT naming the path', async () => {
      const dir = await tmpDir();
      const p = join(dir, 'no-such-dir', 'f');
      await assert.rejects(op.run(p, 'x'), (err) => assertNames(err, 'ENOENT', p));
    });

    test('a directory where a file is expected is EISDIR naming the path', async () => {
      const dir = await tmpDir();
      const p = join(dir, 'sub');
      await mkdir(p);
      await assert.rejects(op.run(p, 'x'), (err) => assertNames(err, 'EISDIR', p));
      assert.ok((await stat(p)).isDirectory());
      assert.deepEqual(await readdir(dir), ['sub']);
    });

    test('no permission is EACCES naming the path; target unchanged, no temporary file', async () => {
      const dir = await tmpDir();
      const p = join(dir, 'f');
      if (op.replaces) await fsWriteFile(p, 'old');
      // A read-only folder stops other users; root bypasses it, so the disk refuses too.
      await chmod(dir, 0o555);
      try {
        await assert.rejects(op.run(p, 'new', { disk: deniedDisk() }), (err) => assertNames(err, 'EACCES', p));
        if (!isRoot) await assert.rejects(op.run(p, 'new'), (err) => assertNames(err, 'EACCES', p));
      } finally {
        await chmod(dir, 0o755);
      }
      if (op.replaces) assert.equal(await readFile(p, 'utf8'), 'old');
      assert.deepEqual(await tempsIn(dir), []);
    });

    test(`a ${op.commitCall} failing with EBUSY twice is retried and succeeds`, async () => {
      const dir = await tmpDir();
      const p = join(dir, 'f');
      const { disk, attempts } = failingCommit(op.commitCall, 'EBUSY', 2);
      await op.run(p, 'new', { disk, retry: { attempts: 5, maxDelayMs: 5 } });
      assert.equal(attempts(), 3);
      assert.equal(await readFile(p, 'utf8'), 'new');
      assert.deepEqual(await tempsIn(dir), []);
    });

    test(`a ${op.commitCall} failing with ENOSPC fails at once`, async () => {
      const dir = await tmpDir();
      const p = join(dir, 'f');
      if (op.replaces) await fsWriteFile(p, 'old');
      const { disk, attempts } = failingCommit(op.commitCall, 'ENOSPC', 99);
      await assert.rejects(op.run(p, 'new', { disk, retry: { attempts: 5, maxDelayMs: 5 } }), (err) =>
        assertNames(err, 'ENOSPC', p),
      );
      assert.equal(attempts(), 1);
      if (op.replaces) assert.equal(await readFile(p, 'utf8'), 'old');
      assert.deepEqual(await tempsIn(dir), []);
    });

    if (op.replaces) {
      test('concurrent calls on one path land in call order: the last call wins', async () => {
        const dir = await tmpDir();
        const p = join(dir, 'f');
        for (let round = 0; round < 5; round++) {
          // Sizes vary so that earlier calls do not simply finish first.
          const contents = Array.from(
            { length: 12 },
            (_, i) => `${'x'.repeat(((i * 7919) % 13) * 5000)}#${round}-${i}`,
          );
          const starts = await Promise.all(contents.map((c) => op.prepare(p, c, { fsync: false })));
          await Promise.all(starts.map((start) => start()));
          const got = await readFile(p, 'utf8');
          assert.ok(got === contents.at(-1), `round ${round}: the last call won, not ${got.slice(got.indexOf('#'))}`);
        }
        assert.deepEqual(await readdir(dir), ['f']);
      });
    } else {
      test('concurrent calls on one path: exactly one wins, the first; the others get EEXIST', async () => {
        const dir = await tmpDir();
        const p = join(dir, 'f');
        const starts = await Promise.all(Array.from({ length: 8 }, (_, i) => op.prepare(p, `call ${i}`)));
        const results = await Promise.allSettled(starts.map((start) => start()));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) if (r.status === 'rejected') assertNames(r.reason, 'EEXIST', p);
        assert.equal(await readFile(p, 'utf8'), 'call 0');
        assert.deepEqual(await readdir(dir), ['f']);
      });
    }
  });
}
