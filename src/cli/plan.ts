/**
 * `apply` plans: a JSON or YAML file, checked against the published schema
 * (schemas/plan.schema.json) before anything happens, then turned into resolved steps:
 * absolute paths, decoded content, parsed modes, loaded value schemas. Everything that
 * can be wrong with a plan is found here, before the transaction starts.
 */
import { dirname, resolve } from 'node:path';
import { readJson, readYaml, type JsonSchema } from '../index.js';
import { loadSchema } from './schema-file.js';
import { planSchema } from './package-info.js';

interface PlanOperation {
  op: 'write' | 'create' | 'delete' | 'copy' | 'move' | 'writeJson' | 'writeYaml';
  path?: string;
  content?: string;
  encoding?: 'utf8' | 'base64';
  contentFrom?: string;
  mode?: string;
  force?: boolean;
  src?: string;
  dest?: string;
  value?: unknown;
  schema?: string;
}

interface PlanFile {
  root?: string;
  name?: string;
  operations: PlanOperation[];
}

export type Step =
  | { kind: 'write' | 'create'; path: string; content: Buffer; mode: number | undefined }
  | { kind: 'write' | 'create'; path: string; contentFrom: string; mode: number | undefined }
  | { kind: 'delete'; path: string; force: boolean }
  | { kind: 'copy' | 'move'; src: string; dest: string; mode: number | undefined }
  | {
      kind: 'writeJson' | 'writeYaml';
      path: string;
      value: unknown;
      schema: JsonSchema | undefined;
      mode: number | undefined;
    };

export interface Plan {
  file: string;
  root: string;
  /** The batch's name, if the plan gives one. */
  name: string | undefined;
  steps: Step[];
}

function octal(mode: string | undefined): number | undefined {
  // The schema's pattern has already accepted only octal digits with an optional 0 / 0o.
  return mode === undefined ? undefined : parseInt(mode.replace(/^0o?/i, '') || '0', 8);
}

async function stepOf(op: PlanOperation, root: string, planDir: string): Promise<Step> {
  const inRoot = (p: string | undefined): string => resolve(root, p ?? '');
  const mode = octal(op.mode);
  switch (op.op) {
    case 'write':
    case 'create':
      return op.contentFrom !== undefined
        ? { kind: op.op, path: inRoot(op.path), contentFrom: resolve(planDir, op.contentFrom), mode }
        : { kind: op.op, path: inRoot(op.path), content: Buffer.from(op.content ?? '', op.encoding ?? 'utf8'), mode };
    case 'delete':
      return { kind: 'delete', path: inRoot(op.path), force: op.force === true };
    case 'copy':
    case 'move':
      return { kind: op.op, src: inRoot(op.src), dest: inRoot(op.dest), mode };
    case 'writeJson':
    case 'writeYaml': {
      const schema = op.schema === undefined ? undefined : await loadSchema(resolve(planDir, op.schema));
      return { kind: op.op, path: inRoot(op.path), value: op.value, schema, mode };
    }
  }
}

/** Reads and checks the plan; `rootFlag` (--root) wins over the plan's own `root`. */
export async function loadPlan(file: string, rootFlag: string | undefined): Promise<Plan> {
  const schema = planSchema();
  const plan = /\.ya?ml$/i.test(file)
    ? await readYaml<PlanFile>(file, { schema })
    : await readJson<PlanFile>(file, { schema });
  const planDir = dirname(resolve(file));
  const root =
    rootFlag !== undefined ? resolve(rootFlag) : plan.root !== undefined ? resolve(planDir, plan.root) : process.cwd();
  const steps: Step[] = [];
  for (const op of plan.operations) steps.push(await stepOf(op, root, planDir));
  return { file, root, name: plan.name, steps };
}

/** The file a step changes, for progress and results. */
export function targetOf(step: Step): string {
  return 'dest' in step ? step.dest : step.path;
}
