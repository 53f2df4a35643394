// Adapter for the shared benchmark harness (../shared/bench): atomicfs.writeFile with
// default options (durable: file synced before the rename, directory after it), and
// writeFileSync, the same protocol driven synchronously, for the -sync scenarios.
import { readFileSync } from 'node:fs';
import { writeFile, writeFileSync } from '../dist/src/index.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

export default {
  name: 'atomicfs',
  version,
  atomic: true,
  durable: true,
  notes: 'default options: fsync file + rename + fsync dir (group commit), mode/owner kept, call order kept',
  write: (file, data) => writeFile(file, data),
  writeSync: (file, data) => void writeFileSync(file, data),
};
