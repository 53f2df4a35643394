/**
 * The one fault-injecting wrapper of the tests (issue #13): any base disk (the real one,
 * `nodeDisk`, or a `SimDisk`) with chosen calls failed, crashed, held back, altered or
 * just counted. A call is named by its op: the Disk method's name (`rename`, `syncDir`…)
 * or `file.` and the DiskFile method's (`file.write`, `file.sync`…), the same for the
 * asynchronous call and its synchronous twin (`renameSync` is `rename` with `sync: true`),
 * so that one rule hits a protocol however it is driven. A folder opened ahead of its
 * sync is an `openDir` call, and its sync a `syncDir` one.
 *
 *   const disk = faultDisk(nodeDisk);
 *   disk.fail('rename', 'EIO');                        // the next rename fails, once
 *   disk.fail((c) => c.op === 'file.sync' && c.path.endsWith('.journal'), 'EIO', Infinity);
 *   disk.crash('link');                                // this link and every later call fail
 *   const g = disk.gate('file.write');                 // the next async write waits for g.open()
 *   disk.on('file.read', { after: (c, n) => n });      // anything else, before or after a call
 *   disk.count('syncDir');                             // calls made so far
 */
import type { Disk, DiskCapabilities, DiskDir, DiskFile, DualDisk, OpenFlags } from '../../src/disk/index.js';
import { nodeDisk } from '../../src/disk/index.js';

export type DiskOp =
  | 'open'
  | 'stat'
  | 'lstat'
  | 'realpath'
  | 'readlink'
  | 'readdir'
  | 'mkdir'
  | 'rmdir'
  | 'rename'
  | 'link'
  | 'unlink'
  | 'chmod'
  | 'chown'
  | 'utimes'
  | 'syncDir'
  | 'openDir';
export type FileOp =
  'file.write' | 'file.read' | 'file.sync' | 'file.stat' | 'file.chmod' | 'file.chown' | 'file.truncate' | 'file.close';
export type Op = DiskOp | FileOp;

export interface Call {
  op: Op;
  path: string;
  /** rename and link: the destination. */
  to?: string | undefined;
  /** open: the flags asked for; a file's calls: the flags it was opened with. */
  flags?: OpenFlags | undefined;
  /** The call's arguments, as given (a read's buffer is `args[0]`). */
  args: readonly unknown[];
  /** Made through the synchronous twin. */
  sync: boolean;
}

/** Which calls a rule is for: an op, some ops, or any test of the call. */
export type Match = Op | readonly Op[] | ((call: Call) => boolean);

export interface Hooks {
  /**
   * Runs before the call, which it fails by throwing. An asynchronous call waits for a
   * promise it returns; a synchronous call cannot, and fails if given one.
   */
  before?(call: Call): void | Promise<void>;
  /**
   * Runs after the call succeeded, with its result; returns the result to give (undefined:
   * the call's own). An asynchronous call waits for a promise it returns.
   */
  after?(call: Call, result: unknown): unknown;
  /** How many calls the rule applies to (default: every matching call). */
  times?: number;
}

export interface Rule {
  /** How many calls the rule has applied to. */
  readonly hits: number;
  /** The rule applies to no further call. */
  remove(): void;
}

export interface Gate {
  /** Resolves with the call once it is held. */
  reached: Promise<Call>;
  /** Lets the held call go on. */
  open: () => void;
}

export interface FaultDiskOptions {
  /** What the disk says it can do, in place of the base's. */
  capabilities?: DiskCapabilities;
}

export interface FaultDisk extends DualDisk {
  readonly base: Disk;
  /** Every call made while armed, in the order made. */
  readonly calls: Call[];
  /** Rules apply, and calls are recorded, only while armed (default: at once). */
  armed: boolean;
  /** Once crashed, every call fails with ESIMCRASH, but for closing a file (the kernel closes a dead process's files). */
  readonly crashed: boolean;
  on(match: Match, hooks: Hooks): Rule;
  /** The next `times` matching calls fail with `code`, without reaching the base disk. */
  fail(match: Match, code?: string, times?: number): Rule;
  /** The next matching call fails with `code`, and the disk is crashed: a death there. */
  crash(match: Match, code?: string): Rule;
  /** The next `times` matching asynchronous calls wait until `open()` (a synchronous one fails: it cannot wait). */
  gate(match: Match, times?: number): Gate;
  /** Bytes read are passed to `alter` (the bytes read, the position read from, the call) before the caller sees them. */
  alterReads(alter: (bytes: Uint8Array, position: number, call: Call) => void, match?: Match): Rule;
  /** How many matching calls were made (while armed). */
  count(match: Match): number;
}

function matches(match: Match, call: Call): boolean {
  if (typeof match === 'function') return match(call);
  if (typeof match === 'string') return match === call.op;
  return match.includes(call.op);
}

/** A Node-like system error for an injected failure, naming the call. */
export function faultError(code: string, call: Pick<Call, 'op' | 'path'>): NodeJS.ErrnoException {
  const syscall = call.op.replace(/^file\./, '');
  return Object.assign(new Error(`${code}: injected, ${syscall} '${call.path}'`), { code, syscall, path: call.path });
}

function isPromise(value: unknown): value is Promise<unknown> {
  return value instanceof Promise;
}

interface Entry {
  match: Match;
  hooks: Hooks;
  hits: number;
  left: number;
}

class Interceptor {
  readonly calls: Call[] = [];
  armed = true;
  crashed = false;
  private readonly rules: Entry[] = [];

  add(match: Match, hooks: Hooks): Rule {
    const entry: Entry = { match, hooks, hits: 0, left: hooks.times ?? Infinity };
    this.rules.push(entry);
    return {
      get hits() {
        return entry.hits;
      },
      remove: () => {
        entry.left = 0;
      },
    };
  }

  /** The rules that apply to `call` (each counted), after the crash check; none while disarmed. */
  private enter(call: Call): Entry[] {
    if (!this.armed) return [];
    this.calls.push(call);
    if (this.crashed && call.op !== 'file.close') throw faultError('ESIMCRASH', call);
    const hit = this.rules.filter((r) => r.left > 0 && matches(r.match, call));
    for (const r of hit) {
      r.left--;
      r.hits++;
    }
    return hit;
  }

  runSync<T>(call: Call, run: () => T): T {
    const hit = this.enter(call);
    for (const r of hit) if (isPromise(r.hooks.before?.(call))) throw this.cannotWait(call);
    let result = run();
    for (const r of hit) {
      if (!r.hooks.after) continue;
      const out = r.hooks.after(call, result);
      if (isPromise(out)) throw this.cannotWait(call);
      if (out !== undefined) result = out as T;
    }
    return result;
  }

  async runAsync<T>(call: Call, run: () => Promise<T>): Promise<T> {
    const hit = this.enter(call);
    for (const r of hit) await r.hooks.before?.(call);
    let result: T = await run();
    for (const r of hit) {
      if (!r.hooks.after) continue;
      const out: unknown = await r.hooks.after(call, result);
      if (out !== undefined) result = out as T;
    }
    return result;
  }

  private cannotWait(call: Call): Error {
    return new Error(
      `fault-disk: a rule for ${call.op} '${call.path}' returned a promise, which a synchronous call cannot wait for`,
    );
  }
}

/** `target[name]`, bound; ENOTSUP if the base has no such synchronous twin. */
function twinOf<O extends object, K extends keyof O>(target: O, name: K): NonNullable<O[K]> {
  const fn = target[name];
  if (typeof fn !== 'function')
    throw Object.assign(new Error(`ENOTSUP: the base disk has no ${String(name)}`), { code: 'ENOTSUP' });
  return (fn as (...args: unknown[]) => unknown).bind(target) as NonNullable<O[K]>;
}

function wrapFile(x: Interceptor, file: DiskFile, flags: OpenFlags): DiskFile {
  const c = (op: FileOp, args: unknown[], sync: boolean): Call => ({ op, path: file.path, flags, args, sync });
  return {
    path: file.path,
    write: (data, pos) => x.runAsync(c('file.write', [data, pos], false), () => file.write(data, pos)),
    read: (buf, pos, len) => x.runAsync(c('file.read', [buf, pos, len], false), () => file.read(buf, pos, len)),
    sync: () => x.runAsync(c('file.sync', [], false), () => file.sync()),
    stat: () => x.runAsync(c('file.stat', [], false), () => file.stat()),
    chmod: (m) => x.runAsync(c('file.chmod', [m], false), async () => file.chmod(m)),
    chown: (u, g) => x.runAsync(c('file.chown', [u, g], false), () => file.chown(u, g)),
    truncate: (n) => x.runAsync(c('file.truncate', [n], false), () => file.truncate(n)),
    close: () => x.runAsync(c('file.close', [], false), async () => file.close()),
    writeSync: (data, pos) => x.runSync(c('file.write', [data, pos], true), () => twinOf(file, 'writeSync')(data, pos)),
    readSync: (buf, pos, len) =>
      x.runSync(c('file.read', [buf, pos, len], true), () => twinOf(file, 'readSync')(buf, pos, len)),
    syncSync: () => x.runSync(c('file.sync', [], true), () => twinOf(file, 'syncSync')()),
    statSync: () => x.runSync(c('file.stat', [], true), () => twinOf(file, 'statSync')()),
    chmodSync: (m) => x.runSync(c('file.chmod', [m], true), () => twinOf(file, 'chmodSync')(m)),
    chownSync: (u, g) => x.runSync(c('file.chown', [u, g], true), () => twinOf(file, 'chownSync')(u, g)),
    truncateSync: (n) => x.runSync(c('file.truncate', [n], true), () => twinOf(file, 'truncateSync')(n)),
    closeSync: () => x.runSync(c('file.close', [], true), () => twinOf(file, 'closeSync')()),
  };
}

/** `base` (default: the real disk) with every call, asynchronous and synchronous, open to rules. */
export function faultDisk(base: Disk = nodeDisk, options: FaultDiskOptions = {}): FaultDisk {
  const x = new Interceptor();
  const b = base;
  const c = (op: DiskOp, path: string, args: unknown[], sync: boolean, to?: string): Call => ({
    op,
    path,
    to,
    args,
    sync,
    flags: op === 'open' ? (args[1] as OpenFlags) : undefined,
  });
  const a = <T>(op: DiskOp, path: string, args: unknown[], run: () => Promise<T>, to?: string): Promise<T> =>
    x.runAsync(c(op, path, args, false, to), run);
  const s = <T>(op: DiskOp, path: string, args: unknown[], run: () => T, to?: string): T =>
    x.runSync(c(op, path, args, true, to), run);
  const disk: FaultDisk = {
    base,
    capabilities: options.capabilities ?? base.capabilities,
    calls: x.calls,
    get armed() {
      return x.armed;
    },
    set armed(on: boolean) {
      x.armed = on;
    },
    get crashed() {
      return x.crashed;
    },
    on: (match, hooks) => x.add(match, hooks),
    fail: (match, code = 'EIO', times = 1) =>
      x.add(match, {
        times,
        before: (call) => {
          throw faultError(code, call);
        },
      }),
    crash: (match, code = 'EIO') =>
      x.add(match, {
        times: 1,
        before: (call) => {
          x.crashed = true;
          throw faultError(code, call);
        },
      }),
    gate: (match, times = 1) => {
      let open!: () => void;
      let reached!: (call: Call) => void;
      const opened = new Promise<void>((r) => (open = r));
      const reachedP = new Promise<Call>((r) => (reached = r));
      x.add(match, {
        times,
        before: (call) => {
          reached(call);
          return opened;
        },
      });
      return { reached: reachedP, open };
    },
    alterReads: (alter, match = 'file.read') =>
      x.add(match, {
        after: (call, n) => {
          const [buffer, position] = call.args as [Uint8Array, number];
          if (call.op === 'file.read' && typeof n === 'number') alter(buffer.subarray(0, n), position, call);
          return n;
        },
      }),
    count: (match) => x.calls.filter((call) => matches(match, call)).length,

    open: (p, f, m) => a('open', p, [p, f, m], async () => wrapFile(x, await b.open(p, f, m), f)),
    stat: (p) => a('stat', p, [p], () => b.stat(p)),
    lstat: (p) => a('lstat', p, [p], () => b.lstat(p)),
    realpath: (p) => a('realpath', p, [p], () => b.realpath(p)),
    readlink: (p) => a('readlink', p, [p], () => b.readlink(p)),
    readdir: (p) => a('readdir', p, [p], () => b.readdir(p)),
    mkdir: (p, m) => a('mkdir', p, [p, m], () => b.mkdir(p, m)),
    rmdir: (p) => a('rmdir', p, [p], () => b.rmdir(p)),
    rename: (f, t) => a('rename', f, [f, t], () => b.rename(f, t), t),
    link: (e, t) => a('link', e, [e, t], () => b.link(e, t), t),
    unlink: (p) => a('unlink', p, [p], () => b.unlink(p)),
    chmod: (p, m) => a('chmod', p, [p, m], () => b.chmod(p, m)),
    chown: (p, u, g) => a('chown', p, [p, u, g], () => b.chown(p, u, g)),
    utimes: (p, at, mt) => a('utimes', p, [p, at, mt], () => b.utimes(p, at, mt)),
    syncDir: (p) => a('syncDir', p, [p], () => b.syncDir(p)),

    openSync: (p, f, m) => s('open', p, [p, f, m], () => wrapFile(x, twinOf(b, 'openSync')(p, f, m), f)),
    statSync: (p) => s('stat', p, [p], () => twinOf(b, 'statSync')(p)),
    lstatSync: (p) => s('lstat', p, [p], () => twinOf(b, 'lstatSync')(p)),
    realpathSync: (p) => s('realpath', p, [p], () => twinOf(b, 'realpathSync')(p)),
    readlinkSync: (p) => s('readlink', p, [p], () => twinOf(b, 'readlinkSync')(p)),
    readdirSync: (p) => s('readdir', p, [p], () => twinOf(b, 'readdirSync')(p)),
    mkdirSync: (p, m) => s('mkdir', p, [p, m], () => twinOf(b, 'mkdirSync')(p, m)),
    rmdirSync: (p) => s('rmdir', p, [p], () => twinOf(b, 'rmdirSync')(p)),
    renameSync: (f, t) => s('rename', f, [f, t], () => twinOf(b, 'renameSync')(f, t), t),
    linkSync: (e, t) => s('link', e, [e, t], () => twinOf(b, 'linkSync')(e, t), t),
    unlinkSync: (p) => s('unlink', p, [p], () => twinOf(b, 'unlinkSync')(p)),
    chmodSync: (p, m) => s('chmod', p, [p, m], () => twinOf(b, 'chmodSync')(p, m)),
    chownSync: (p, u, g) => s('chown', p, [p, u, g], () => twinOf(b, 'chownSync')(p, u, g)),
    utimesSync: (p, at, mt) => s('utimes', p, [p, at, mt], () => twinOf(b, 'utimesSync')(p, at, mt)),
    syncDirSync: (p) => s('syncDir', p, [p], () => twinOf(b, 'syncDirSync')(p)),
  };
  // A folder opened ahead is synced through its handle: that sync is a `syncDir` call, so
  // that a rule for folder syncs sees every one.
  if (base.openDir) {
    const openDir = base.openDir.bind(base);
    disk.openDir = (p) =>
      a('openDir', p, [p], async (): Promise<DiskDir> => {
        const dir = await openDir(p);
        return { path: p, sync: () => a('syncDir', p, [p], () => dir.sync()), close: () => dir.close() };
      });
  }
  return disk;
}
