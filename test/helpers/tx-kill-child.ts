/**
 * Child process of the real-kill suite: loops transactions over N files in `root`, each
 * writing the next generation number into all of them, until it is killed.
 * Usage: node tx-kill-child.js <root> <files>. It loads, prints `loaded`, and starts when
 * a line arrives on stdin (so the parent can start the next child while one runs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { transaction } from '../../src/index.js';

const [root = '', count = '20'] = process.argv.slice(2);
process.stdout.write('loaded\n');
await once(process.stdin, 'data');
const names = Array.from({ length: Number(count) }, (_, i) => join(root, `f${String(i).padStart(2, '0')}`));

// transaction() recovers whatever the previous (killed) child left first.
let tx = await transaction({ root });
let gen = Number(readFileSync(names[0] ?? '', 'utf8'));
process.stdout.write('ready\n');
for (;;) {
  gen++;
  for (const name of names) tx.writeFile(name, String(gen));
  await tx.commit();
  tx = await transaction({ root });
}
