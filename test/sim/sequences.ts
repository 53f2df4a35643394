/**
 * Crash scenarios over sequences of two or three operations, after CrashMonkey (Mohan et
 * al., OSDI 2018: crash bugs found reproduce within three operations after an fsync), and
 * over concurrent writers. One operation at a time cannot show a hazard that needs the
 * next: a journal that comes back after a power cut and replays its delete over a later
 * write, a directory sync that a later writer wrongly counts on.
 *
 * Sequential steps: with d steps resolved before the cut, recovery must leave the files
 * as after step d or (the step in progress) after step d + 1; all of them if the whole
 * sequence resolved. Concurrent writers, each to its own file: each file old or new, new
 * if its writer resolved. And nothing else may be left: no temporary file, no journal.
 */
import type { Disk } from '../../src/index.js';
import { SimDisk } from './sim-disk.js';
import { isLockPath } from './expect.js';
import type { Scenario } from './explore.js';
import { need, op, type Tx } from './ops.js';

export const SEQ_ROOT = '/data';

export interface Step {
  name: string;
  run(disk: Disk): Promise<unknown>;
  /** Its promise is "run me again after a crash" (rotateFile): recovery reruns it if it had not resolved. */
  rerun?: boolean;
}

export interface SeqCase {
  name: string;
  /** Files before (durable): path → content. */
  seed: Record<string, string>;
  steps: Step[];
  /** The steps run at once (each must change its own files), not one after the other. */
  concurrent?: boolean;
}

export type State = Map<string, string>;

function seedInto(sim: SimDisk, c: SeqCase): void {
  sim.seedDir(SEQ_ROOT);
  for (const [p, v] of Object.entries(c.seed)) sim.seedFile(p, v);
}

/** The user's files under the root (lock names aside); symbolic links by their target. */
export function stateOf(sim: SimDisk): State {
  const out: State = new Map();
  for (const [p, e] of sim.tree(SEQ_ROOT)) {
    if (e.kind === 'dir' || isLockPath(p)) continue;
    out.set(p, e.kind === 'file' ? e.data.toString('latin1') : `-> ${e.target}`);
  }
  return out;
}

function show(s: State): string {
  return JSON.stringify(
    Object.fromEntries([...s].map(([p, v]) => [p, v.length > 30 ? `${v.slice(0, 30)}…(${v.length})` : v])),
  );
}

const same = (a: State, b: State): boolean => a.size === b.size && [...a].every(([p, v]) => b.get(p) === v);

/** The state after each prefix of the steps, run without a crash: [before, after 1, …]. */
async function statesOf(c: SeqCase): Promise<State[]> {
  const out: State[] = [];
  for (let n = 0; n <= c.steps.length; n++) {
    const sim = new SimDisk();
    seedInto(sim, c);
    if (c.concurrent) await Promise.all(c.steps.slice(0, n).map((s) => s.run(sim)));
    else for (const s of c.steps.slice(0, n)) await s.run(sim);
    out.push(stateOf(sim));
  }
  return out;
}

/** Recovery after the reboot: the root's journals, then temporary files; a rerun step that had not resolved runs again. */
async function recoverSeq(c: SeqCase, disk: Disk, done: ReadonlySet<string>): Promise<void> {
  if (op('recover')) await need('recover')(SEQ_ROOT, { disk });
  await need('cleanupTemps')(SEQ_ROOT, { disk, olderThanMs: 0, recursive: true });
  const first = c.steps[0];
  if (first?.rerun && !done.has(first.name)) await first.run(disk);
}

function checkSequential(c: SeqCase, states: State[]): Scenario['check'] {
  return (sim, resolved, done) => {
    let d = 0;
    while (d < c.steps.length && done.has(c.steps[d]!.name)) d++;
    // Recovery completes a rerun step that had not resolved: the next one never started.
    if (d === 0 && c.steps[0]?.rerun) d = 1;
    const allowed = resolved ? [states[c.steps.length]!] : states.slice(d, d + 2);
    const got = stateOf(sim);
    if (allowed.some((s) => same(s, got))) return undefined;
    return `${d} of ${c.steps.length} steps resolved (${[...done].join(', ') || 'none'}): ${show(got)}, expected ${allowed.map(show).join(' or ')}`;
  };
}

function checkConcurrent(c: SeqCase, before: State, after: State): Scenario['check'] {
  const owner = new Map<string, string>();
  return (sim, _resolved, done) => {
    const got = stateOf(sim);
    const problems: string[] = [];
    for (const p of new Set([...before.keys(), ...after.keys(), ...got.keys()])) {
      const v = got.get(p);
      const writer = owner.get(p) ?? c.steps.find((s) => p.endsWith(`/${s.name}`))?.name;
      if (writer) owner.set(p, writer);
      if (v !== before.get(p) && v !== after.get(p)) problems.push(`${p}: neither old nor new (${v ?? 'absent'})`);
      else if (writer && done.has(writer) && v !== after.get(p))
        problems.push(`${p}: its writer resolved, but it is ${v === undefined ? 'absent' : 'old'}`);
    }
    return problems.length ? problems.join('; ') : undefined;
  };
}

export async function seqScenario(c: SeqCase, inFlightSeed?: number): Promise<Scenario> {
  const states = await statesOf(c);
  const steps = async (disk: Disk, done: (step: string) => void = () => undefined): Promise<void> => {
    if (c.concurrent) {
      await Promise.all(c.steps.map((s) => s.run(disk).then(() => done(s.name))));
      return;
    }
    for (const s of c.steps) {
      await s.run(disk);
      done(s.name);
    }
  };
  return {
    name: inFlightSeed === undefined ? c.name : `${c.name}, calls in flight land in any order`,
    setup: (sim) => seedInto(sim, c),
    run: steps,
    recover: (disk, done) => recoverSeq(c, disk, done),
    check: c.concurrent ? checkConcurrent(c, states[0]!, states[c.steps.length]!) : checkSequential(c, states),
    inFlightSeed,
  };
}

const A = `${SEQ_ROOT}/a.txt`;
const B = `${SEQ_ROOT}/b.txt`;
const C = `${SEQ_ROOT}/c.txt`;
const LOG = `${SEQ_ROOT}/app.log`;

async function commit(disk: Disk, stage: (tx: Tx) => void): Promise<void> {
  const tx = await need('transaction')({ root: SEQ_ROOT, disk });
  stage(tx);
  await tx.commit();
}

async function* chunks(tag: string): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < 3; i++) yield Buffer.from(`${tag} streamed chunk ${i};`);
}

/** `n` writers into one folder at once; every other one streams its content (it cannot announce its rename). */
export function writersCase(n: number): SeqCase {
  const seed: Record<string, string> = {};
  const steps: Step[] = [];
  for (let i = 0; i < n; i++) {
    const name = `w${i}`;
    const path = `${SEQ_ROOT}/${name}`;
    seed[path] = `old ${i}`;
    const streamed = i % 2 === 1;
    steps.push({ name, run: (disk) => need('writeFile')(path, streamed ? chunks(name) : `new ${i}`, { disk }) });
  }
  return {
    name: `${n} concurrent writers into one folder (group commit; ${Math.floor(n / 2)} streamed)`,
    seed,
    steps,
    concurrent: true,
  };
}

export const seqCases: SeqCase[] = [
  {
    name: 'transaction (write a, delete b), then writeFile b, then writeFile a',
    seed: { [A]: 'a0', [B]: 'b0' },
    steps: [
      { name: 'tx', run: (disk) => commit(disk, (tx) => void tx.writeFile(A, 'a1').deleteFile(B)) },
      { name: 'write b', run: (disk) => need('writeFile')(B, 'b2', { disk }) },
      { name: 'write a', run: (disk) => need('writeFile')(A, 'a3', { disk }) },
    ],
  },
  {
    name: 'transaction (move a to c), then writeFile a',
    seed: { [A]: 'a0' },
    steps: [
      { name: 'tx', run: (disk) => commit(disk, (tx) => void tx.moveFile(A, C)) },
      { name: 'write a', run: (disk) => need('writeFile')(A, 'a again', { disk }) },
    ],
  },
  {
    name: 'writeFile, deleteFile, createFile (one name)',
    seed: { [A]: 'a0' },
    steps: [
      { name: 'write', run: (disk) => need('writeFile')(A, 'a1', { disk }) },
      { name: 'delete', run: (disk) => need('deleteFile')(A, { disk }) },
      { name: 'create', run: (disk) => need('createFile')(A, 'a3', { disk }) },
    ],
  },
  {
    name: 'rotateFile (maxFiles 2), then writeFile',
    seed: { [LOG]: 'current\n', [`${LOG}.1`]: 'previous\n' },
    steps: [
      { name: 'rotate', rerun: true, run: (disk) => need('rotateFile')(LOG, { maxFiles: 2, disk }) },
      { name: 'write', run: (disk) => need('writeFile')(LOG, 'fresh log\n', { disk }) },
    ],
  },
];
