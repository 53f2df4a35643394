/**
 * The crash exploration driver. A scenario is run once to count its disk calls; then,
 * for every k, rerun with a power cut after call k, and for each crash state (all pending
 * work lost, all kept, random subsets, torn writes) build a fresh disk from that state,
 * run recovery (if the scenario has one) and check the promise. Recovery itself is then
 * crashed after each of its calls, and recovery run again must reach the same answer.
 * ALICE's check is part of every scenario's `check`: when the operation resolved before
 * the cut, its new content must be there.
 */
import type { Disk } from '../../src/disk/index.js';
import { SimDisk, describeMode, type CallRecord, type CrashMode, type Image, type SimPlatform } from './sim-disk.js';
import { isCrash, showError } from './sim-errors.js';

export interface Scenario {
  name: string;
  /** Seeds the durable state before the operation (on a fresh disk). */
  setup(sim: SimDisk): void;
  /**
   * The operation under test. A sequence of operations (or concurrent ones) calls `done`
   * with a name for each that resolved, so that recovery and the check know which must
   * be durable.
   */
  run(disk: Disk, done?: (step: string) => void): Promise<unknown>;
  /** Recovery after a crash (for transactions `recover(root, { disk })`); none for single files. */
  recover?: ((disk: Disk, done: ReadonlySet<string>) => Promise<unknown>) | undefined;
  /** A description of the broken promise, or undefined if the state keeps it. */
  check(sim: SimDisk, resolved: boolean, done: ReadonlySet<string>): string | undefined;
  /**
   * Durable once resolved even where no folder can be synced (Windows rules): its last
   * durable step is a file sync, which flushes the entry changes before it (a commit
   * record). Single-file writes end with a rename that nothing flushes: they are not.
   */
  durableWithoutDirSync?: boolean | undefined;
  /** What a recovery crashed half-way must reach again (default answerOf: files only). */
  answer?: ((sim: SimDisk) => string) | undefined;
  /** Run on a disk whose calls in flight together land in the order this seed draws (SimDisk.landInAnyOrder). */
  inFlightSeed?: number | undefined;
}

export interface ExploreOptions {
  /** Random-subset crash states per crash point. */
  subsets: number;
  /** Torn-write crash states per crash point. */
  torn: number;
  /** Random crash states tried (besides lost and kept) per crash point of recovery. */
  recoveryStates: number;
  /**
   * For how many of the crash states of a crash point (in order: lost, kept, subsets,
   * torn) recovery is itself crashed at each of its calls (0: never).
   */
  recoveryCrashModes: number;
  /**
   * At how many crash points, evenly spread and the last one included, recovery is
   * crashed (Infinity: all). Each costs a full recovery per call of recovery.
   */
  recoveryCrashPoints: number;
  /** Base of the seeds, so that a run is reproducible. */
  seed: number;
  /**
   * Whose rules the simulated disk plays (default POSIX). Under Windows no folder can be
   * synced, so a single-file call that resolved is not yet durable: ALICE's check is left
   * out for those (see Scenario.durableWithoutDirSync), and every other one (old or new,
   * all or nothing, nothing left behind) is made.
   */
  platform?: SimPlatform | undefined;
}

export interface Violation {
  scenario: string;
  crashAfter: number;
  call: CallRecord | undefined;
  mode: string;
  phase: string;
  message: string;
}

/** Recovery runs after the reboot, a while after the cut: temporary files are not recent. */
const REBOOT_AGE_MS = 10 * 60_000;

export interface ExploreResult {
  name: string;
  calls: number;
  crashPoints: number;
  states: number;
  /** Crash states checked after a second crash, during recovery. */
  recoveryStates: number;
  violations: Violation[];
}

export function modesFor(opts: ExploreOptions, salt: number): CrashMode[] {
  const modes: CrashMode[] = [{ kind: 'lost' }, { kind: 'kept' }];
  for (let i = 0; i < opts.subsets; i++) modes.push({ kind: 'subset', seed: opts.seed + salt * 1000 + i });
  for (let i = 0; i < opts.torn; i++) modes.push({ kind: 'torn', seed: opts.seed + salt * 1000 + 500 + i });
  return modes;
}

/** Runs `run` on `sim`; resolves to whether it resolved. Non-crash failures are rethrown. */
async function runUntilCrash(run: (d: Disk) => Promise<unknown>, sim: SimDisk): Promise<boolean> {
  return runWithSteps((d) => run(d), sim, new Set());
}

/** Runs `run` on `sim`, recording in `done` the steps that resolved; resolves to whether all of it did. */
async function runWithSteps(
  run: (d: Disk, done: (step: string) => void) => Promise<unknown>,
  sim: SimDisk,
  done: Set<string>,
): Promise<boolean> {
  try {
    await run(sim, (step) => done.add(step));
    return true;
  } catch (err) {
    if (sim.isCrashed && isCrash(err)) return false;
    // A crash can surface as another error (say, a read that found nothing after an
    // earlier step failed); once the disk has crashed, any failure is the crash's.
    if (sim.isCrashed) return false;
    throw err;
  }
}

function fresh(s: Scenario, platform: SimPlatform | undefined): SimDisk {
  const sim = new SimDisk(undefined, { platform });
  s.setup(sim);
  if (s.inFlightSeed !== undefined) sim.landInAnyOrder(s.inFlightSeed);
  return sim;
}

/**
 * A canonical text of the files on the disk: the "answer" recovery must agree on. Folders
 * are left out (an empty one holds nothing), and so are lock folders' records.
 */
export function answerOf(sim: SimDisk): string {
  return [...sim.tree()]
    .filter(([p, e]) => e.kind !== 'dir' && !p.includes('.atomicfs-lock'))
    .map(([p, e]) => `${p}=${e.kind === 'file' ? e.data.toString('hex') : e.kind === 'symlink' ? `->${e.target}` : ''}`)
    .join('\n');
}

export async function explore(s: Scenario, opts: ExploreOptions): Promise<ExploreResult> {
  const base = fresh(s, opts.platform);
  const all = new Set<string>();
  await s.run(base, (step) => all.add(step));
  const calls = base.callCount;
  const result: ExploreResult = { name: s.name, calls, crashPoints: 0, states: 0, recoveryStates: 0, violations: [] };
  const clean = s.check(base, true, all);
  if (clean)
    result.violations.push({
      scenario: s.name,
      crashAfter: calls,
      call: undefined,
      mode: 'no crash',
      phase: 'run',
      message: clean,
    });
  const spread = spreadPoints(calls + 1, opts.recoveryCrashPoints);
  for (let k = 0; k <= calls; k++) {
    const sim = fresh(s, opts.platform);
    sim.crashAfter(k);
    const done = new Set<string>();
    const resolved =
      (await runWithSteps((d, note) => s.run(d, note), sim, done)) &&
      (opts.platform !== 'windows' || s.durableWithoutDirSync === true);
    result.crashPoints++;
    for (const [i, mode] of modesFor(opts, k).entries()) {
      result.states++;
      const where = { scenario: s.name, crashAfter: k, call: base.log[k - 1], mode: describeMode(mode) };
      const problem = await checkState(
        s,
        sim.crashImage(mode),
        resolved,
        done,
        { ...opts, recoveryCrashModes: spread.has(k) && i < opts.recoveryCrashModes ? 1 : 0 },
        k,
        result,
      );
      if (problem) result.violations.push({ ...where, ...problem });
    }
  }
  return result;
}

/** `n` of the points 0 … count-1, evenly spread, the last one included. */
function spreadPoints(count: number, n: number): Set<number> {
  if (n >= count) return new Set(Array.from({ length: count }, (_, i) => i));
  const out = new Set<number>();
  for (let i = 1; i <= n; i++) out.add(Math.round((i * (count - 1)) / n));
  return out;
}

/** Recovers a crash state and checks it, then crashes recovery at each of its calls. */
async function checkState(
  s: Scenario,
  image: Image,
  resolved: boolean,
  done: ReadonlySet<string>,
  opts: ExploreOptions,
  salt: number,
  result: ExploreResult,
): Promise<{ phase: string; message: string } | undefined> {
  const disk = SimDisk.fromImage(image, REBOOT_AGE_MS, { platform: opts.platform });
  if (s.recover) {
    try {
      await s.recover(disk, done);
    } catch (err) {
      return { phase: 'recover', message: `recovery failed: ${showError(err)}` };
    }
  }
  const message = s.check(disk, resolved, done);
  if (message) return { phase: 'after recovery', message };
  if (!s.recover || opts.recoveryCrashModes === 0) return undefined;
  return recoveryCrashes(s, image, (s.answer ?? answerOf)(disk), done, opts, salt, result);
}

async function recoveryCrashes(
  s: Scenario,
  image: Image,
  answer: string,
  done: ReadonlySet<string>,
  opts: ExploreOptions,
  salt: number,
  result: ExploreResult,
): Promise<{ phase: string; message: string } | undefined> {
  const recoverOnce = s.recover!;
  const recover = (disk: Disk): Promise<unknown> => recoverOnce(disk, done);
  const platform = { platform: opts.platform };
  const count = SimDisk.fromImage(image, REBOOT_AGE_MS, platform);
  await recover(count);
  for (let j = 0; j < count.callCount; j++) {
    const first = SimDisk.fromImage(image, REBOOT_AGE_MS, platform);
    first.crashAfter(j);
    await runUntilCrash(recover, first);
    const modes = modesFor({ ...opts, subsets: opts.recoveryStates, torn: 0 }, salt * 31 + j);
    for (const mode of modes) {
      result.recoveryStates++;
      const again = SimDisk.fromImage(first.crashImage(mode), REBOOT_AGE_MS, platform);
      try {
        await recover(again);
      } catch (err) {
        return {
          phase: `recovery crashed after its call ${j} (${describeMode(mode)})`,
          message: `second recovery failed: ${showError(err)}`,
        };
      }
      const got = (s.answer ?? answerOf)(again);
      if (got !== answer)
        return {
          phase: `recovery crashed after its call ${j} (${describeMode(mode)})`,
          message: `second recovery reached another state:\n${got}\nexpected:\n${answer}`,
        };
    }
  }
  return undefined;
}

/** One line per violation, enough to replay it: scenario, crash point, the call, the state. */
export function describeViolation(v: Violation): string {
  const call = v.call ? `${v.call.op} ${v.call.path}${v.call.dest ? ` -> ${v.call.dest}` : ''}` : 'start';
  return `${v.scenario}: crash after call ${v.crashAfter} (${call}), state ${v.mode}, ${v.phase}: ${v.message}`;
}

/** The table a crash test prints: per scenario, crash points, states explored, violations. */
export function table(results: ExploreResult[]): string {
  const rows = results.map(
    (r) => `| ${r.name} | ${r.calls} | ${r.crashPoints} | ${r.states} | ${r.recoveryStates} | ${r.violations.length} |`,
  );
  return [
    '| operation / shape | disk calls | crash points | crash states checked | states after a crash during recovery | violations |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}
