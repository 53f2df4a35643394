// Adapter for the shared benchmark harness: atomicfs.writeFile with { fsync: false }
// (atomic, not durable), to compare with steno and the other non-durable writers.
import { readFileSync } from 'node:fs';
import { writeFile } from '../dist/src/index.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

export default {
  name: 'atomicfs-nofsync',
  version,
  atomic: true,
  durable: false,
  notes: '{ fsync: false }: atomic rename, no syncs',
  write: (file, data) => writeFile(file, data, { fsync: false }),
};
