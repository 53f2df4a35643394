// Adapter for the shared benchmark harness: atomicfs.writeFile with { sha256: true }:
// durable as by default, and the result carries the content's SHA-256 (what the
// default did before issue 13), to show what the hash costs.
import { readFileSync } from 'node:fs';
import { writeFile } from '../dist/src/index.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

export default {
  name: 'atomicfs-sha256',
  version,
  atomic: true,
  durable: true,
  notes: "{ sha256: true }: as the default, with the content's SHA-256 in the result",
  write: (file, data) => writeFile(file, data, { sha256: true }),
};
