/**
 * One resolved plan step staged into a transaction (staging only records the change;
 * the transaction writes everything at commit), with the command's write flags and a
 * progress callback for the step's bytes.
 */
import { readFile, type Progress, type transaction } from '../index.js';

type Transaction = Awaited<ReturnType<typeof transaction>>;
import type { Step } from './plan.js';

export interface StageFlags {
  fsync: boolean;
  verify?: boolean;
}

/**
 * The bytes of a content file, read when the commit consumes them (not before). Not a
 * transaction copy: that would require the file to lie inside the root, and a create
 * must not clobber. Read whole: the public API has no streamed read (see docs/CLI.md).
 */
async function* contentOf(file: string): AsyncGenerator<Uint8Array> {
  yield await readFile(file);
}

export function stageStep(tx: Transaction, step: Step, flags: StageFlags, onProgress: (p: Progress) => void): void {
  const common = { fsync: flags.fsync, verify: flags.verify === true, onProgress };
  switch (step.kind) {
    case 'write':
    case 'create': {
      const opts = { ...common, mode: step.mode };
      const source = 'contentFrom' in step ? contentOf(step.contentFrom) : step.content;
      if (step.kind === 'write') tx.writeFile(step.path, source, opts);
      else tx.createFile(step.path, source, opts);
      return;
    }
    case 'delete':
      tx.deleteFile(step.path, { force: step.force });
      return;
    case 'copy':
      tx.copyFile(step.src, step.dest, { ...common, mode: step.mode });
      return;
    case 'move':
      tx.moveFile(step.src, step.dest, common);
      return;
    case 'writeJson':
      tx.writeJson(step.path, step.value, { ...common, mode: step.mode, schema: step.schema });
      return;
    case 'writeYaml':
      tx.writeYaml(step.path, step.value, { ...common, mode: step.mode, schema: step.schema });
      return;
  }
}
