/**
 * Child of the lock-ordering tests. Usage:
 *   node tx-lock-child.js <root> <tag> <file,file,…> <holdMs> <rounds>
 * Runs `rounds` transactions, each writing `<tag>:<round>` into the files in the order
 * given. The first file's content is produced slowly (holdMs), while the locks are held:
 * the child prints `holding` then, and `committed <round>` after each commit.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { transaction } from '../../src/index.js';

const [root = '', tag = '', list = '', hold = '0', rounds = '1'] = process.argv.slice(2);
const files = list.split(',');

async function* slow(text: string, holdMs: number): AsyncGenerator<Uint8Array> {
  process.stdout.write('holding\n');
  await sleep(holdMs);
  yield Buffer.from(text);
}

for (let round = 0; round < Number(rounds); round++) {
  const tx = await transaction({ root });
  const text = `${tag}:${round}`;
  files.forEach((f, i) => tx.writeFile(join(root, f), i === 0 ? slow(text, Number(hold)) : text));
  await tx.commit();
  process.stdout.write(`committed ${round}\n`);
}
