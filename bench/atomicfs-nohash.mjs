// Adapter for the shared benchmark harness: atomicfs.writeFile with { sha256: false }:
// durable as by default, without hashing the content for the result.
import { readFileSync } from 'node:fs';
import { writeFile } from '../dist/src/index.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

export default {
  name: 'atomicfs-nohash',
  version,
  atomic: true,
  durable: true,
  notes: '{ sha256: false }: as the default, without the result\'s SHA-256',
  write: (file, data) => writeFile(file, data, { sha256: false }),
};
