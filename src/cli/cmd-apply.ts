/**
 * `apply <plan>`: a transaction from a JSON or YAML plan file. The plan is checked in
 * full first (schema, value schemas); then every step is staged and the transaction
 * committed: all applied, or none. Ctrl-C is handled by the library's handleSignals():
 * a transaction not yet at its commit point is rolled back, one past it is finished, and
 * the command then exits as the signal would (130 for SIGINT).
 */
import type { Command } from 'commander';
import { handleSignals, transaction, TransactionError } from '../index.js';
import { addHookFlags, hookOptions, type HookFlags } from './hook-options.js';
import type { CommandResult } from './output.js';
import { loadPlan, targetOf, type Plan } from './plan.js';
import { applyProgress } from './progress.js';
import { parseMs } from './parse-number.js';
import { runCommand } from './run.js';
import { stageStep, type StageFlags } from './stage-step.js';
import { addJsonFlag } from './write-options.js';

type Transaction = Awaited<ReturnType<typeof transaction>>;

interface ApplyFlags extends HookFlags, StageFlags {
  root?: string;
  timeout?: number;
  json?: boolean;
}

/** Rolls back after a step was refused while staging; says so if even that failed. */
async function undo(tx: Transaction, err: unknown): Promise<never> {
  try {
    await tx.rollback();
  } catch (rollbackErr) {
    const why = err instanceof Error ? err.message : String(err);
    throw new TransactionError(`${why}; then the rollback failed too`, false, {
      cause: rollbackErr,
      transactionId: tx.id,
    });
  }
  throw err;
}

async function applyPlan(plan: Plan, flags: ApplyFlags): Promise<CommandResult> {
  const carriesData = plan.steps.filter((s) => s.kind !== 'delete' && s.kind !== 'move').length;
  const progress = applyProgress(carriesData);
  try {
    const tx = await transaction({ root: plan.root, name: plan.name, timeout: flags.timeout, ...hookOptions(flags) });
    try {
      plan.steps.forEach((step, i) => stageStep(tx, step, flags, progress.forStep(i, targetOf(step))));
    } catch (err) {
      return await undo(tx, err);
    }
    const { id, changed } = await tx.commit();
    return {
      data: { plan: plan.file, root: tx.root, id, changed },
      text: `applied ${plan.file}: ${plan.steps.length} operations, ${changed.length} files changed (transaction ${id})`,
    };
  } finally {
    progress.stop();
  }
}

export function registerApply(program: Command): void {
  const cmd = program
    .command('apply <plan>')
    .description('apply a JSON or YAML plan (schemas/plan.schema.json) as one transaction: all or nothing')
    .option(
      '--root <dir>',
      "the transaction's root: every path must lie in it (default: the plan's root, else the current directory)",
    )
    .option('--no-fsync', 'skip fsync: still all or nothing for readers, but not durable across a power loss')
    .option('--verify', 'read every staged file back and compare SHA-256 before committing')
    .option(
      '--timeout <ms>',
      "give up waiting for the files' locks after this many milliseconds (rolled back, status 1)",
      parseMs,
    )
    .addHelpText(
      'after',
      `
Example plan (deploy.yaml):
  operations:
    - { op: write, path: www/index.html, contentFrom: build/index.html }
    - { op: writeJson, path: config.json, value: { version: 42 }, schema: config.schema.json }
    - { op: delete, path: www/old.html, force: true }
Example:
  atomicfs apply deploy.yaml --root /srv/site --backup-dir /srv/backups`,
    );
  addJsonFlag(addHookFlags(cmd)).action((planFile: string, flags: ApplyFlags) =>
    runCommand({ command: 'apply', json: flags.json, failure: 'atomic', interrupts: 'none' }, async () => {
      const plan = await loadPlan(planFile, flags.root);
      const uninstall = handleSignals();
      try {
        return await applyPlan(plan, flags);
      } finally {
        uninstall();
      }
    }),
  );
}
