/**
 * Issue 14, fault rows for the synchronous calls that only read (readFileSync,
 * sha256FileSync, readJsonSync, readYamlSync): each of their disk calls fails in turn,
 * with each code. The caller gets the code and the path, the file is as it was, and every
 * file opened is closed again, as the asynchronous twins do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as a from '../src/index.js';
import type { Disk } from '../src/index.js';
import { faultDisk } from './helpers/fault-disk.js';
import { tmpDir } from './helpers/tmp.js';

const CODES = ['EIO', 'EACCES', 'EMFILE'];

const READS: [string, (path: string, disk: Disk) => unknown][] = [
  ['readFileSync', (p, disk) => a.readFileSync(p, { disk, retry: { attempts: 1 } })],
  ['sha256FileSync', (p, disk) => a.sha256FileSync(p, { disk, retry: { attempts: 1 } })],
  ['readJsonSync', (p, disk) => a.readJsonSync(p, { disk, retry: { attempts: 1 } })],
  ['readYamlSync', (p, disk) => a.readYamlSync(p, { disk, retry: { attempts: 1 } })],
];

for (const [name, read] of READS) {
  test(`every disk call of ${name} fails in turn: the code and the path, the file intact, nothing left open`, async () => {
    const dir = await tmpDir();
    const file = join(dir, 'v.json');
    // Larger than one chunk, so that reads past the first are among the calls.
    const content = JSON.stringify({ list: Array.from({ length: 40_000 }, (_, i) => i) });
    writeFileSync(file, content);
    const clean = faultDisk();
    const expected = read(file, clean);
    const total = clean.calls.length;
    assert.ok(total >= 3, `${name} makes its calls through the disk: ${total}`);
    for (let k = 0; k < total; k++) {
      for (const code of CODES) {
        const disk = faultDisk();
        let opened = 0;
        let closed = 0;
        disk.on('open', { after: () => void opened++ });
        disk.on('file.close', { after: () => void closed++ });
        let n = -1;
        // The k-th call fails (a close is never failed: it only releases the descriptor).
        const rule = disk.fail((c) => ++n === k && c.op !== 'file.close', code);
        let outcome: unknown;
        try {
          outcome = read(file, disk);
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          assert.equal(e.code, code, `${name}, call ${k} failing with ${code}: ${e.message}`);
          assert.ok(e.message.includes(file), `names the path: ${e.message}`);
        }
        if (rule.hits === 0) assert.deepEqual(outcome, expected, 'the call fails, or gives the right answer');
        else assert.equal(outcome, undefined, `${name} reported the failure of call ${k} (${code})`);
        assert.equal(closed, opened, `${name}: every file opened is closed (call ${k}, ${code})`);
      }
    }
    assert.equal(readFileSync(file, 'utf8'), content);
    assert.deepEqual(readdirSync(dir), ['v.json']);
  });
}
