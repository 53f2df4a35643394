// Adapter for the shared benchmark harness: atomicfs.writeFile with
// { fsync: false, sha256: false } (atomic, not durable, no hash), beside steno.
import { readFileSync } from 'node:fs';
import { writeFile } from '../dist/src/index.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

export default {
  name: 'atomicfs-nofsync-nohash',
  version,
  atomic: true,
  durable: false,
  notes: '{ fsync: false, sha256: false }: atomic rename, no syncs, no hash',
  write: (file, data) => writeFile(file, data, { fsync: false, sha256: false }),
};
