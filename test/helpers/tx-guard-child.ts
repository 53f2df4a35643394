/**
 * Child of the guard and signal tests. Usage:
 *   node tx-guard-child.js guard <root> <file,…> [signals]   edits the files in place inside guard(),
 *                                                           prints `editing`, then hangs
 *   node tx-guard-child.js tx <root> <file,…> [signals]      a transaction whose first file's content
 *                                                           never ends; prints `holding`
 * With `signals`, handleSignals() is installed first.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { guard, handleSignals, transaction } from '../../src/index.js';

const [mode = '', root = '', list = '', signals = ''] = process.argv.slice(2);
const files = list.split(',').map((f) => join(root, f));
if (signals === 'signals') handleSignals();

async function* endless(): AsyncGenerator<Uint8Array> {
  yield Buffer.from('partial ');
  process.stdout.write('holding\n');
  for (;;) {
    await sleep(1000);
    yield Buffer.from('more ');
  }
}

if (mode === 'guard') {
  await guard(
    files,
    async () => {
      for (const f of files) {
        writeFileSync(f, 'half-edited ');
        appendFileSync(f, 'by the child');
      }
      process.stdout.write('editing\n');
      await sleep(60_000);
    },
    { root },
  );
} else {
  const tx = await transaction({ root });
  files.forEach((f, i) => tx.writeFile(f, i === 0 ? endless() : 'new'));
  await tx.commit();
}
