/**
 * An in-memory `Disk` that implements the crash model of docs/CRASH-MODEL.md, so tests can produce the
 * states a power cut may leave, which a real SIGKILL cannot (the kernel keeps what it
 * accepted).
 *
 * - Every inode keeps a durable image and a volatile one. File data and metadata writes
 *   since the file's last `sync()` are kept as a list of pending operations.
 * - Directory entry changes (create, rename, link, unlink, mkdir, rmdir) are pending until
 *   `syncDir` of the directory they touch. A rename between two directories is one change
 *   with two halves that persist together or not at all (file systems journal a rename as
 *   one transaction; a name is never lost half-way), and it is certain to persist only
 *   once both directories have been synced.
 * - `crashAfter(k)`: call k runs, every later call throws `ESIMCRASH` without effect.
 *   `crashImage(mode)` then yields what the disk could hold after the power cut: all
 *   pending work lost, all kept, an independent random subset of it (seeded), or a subset
 *   with torn writes (a prefix of the write persisted, the rest garbage, size extended).
 *   Persisted changes to one name apply in issue order, the last one wins.
 * - Every call is logged (op, path) and can be made to fail with an injected error code.
 *
 * - `landInAnyOrder(seed)`: calls in flight together land in any order (seeded). A call
 *   takes effect, is counted and can crash or fail only when it lands; calls land one at
 *   a time, a random one of those in flight, each after the code woken by the previous
 *   one has run (and may have issued more). An fsync (of a file or a folder) starts when
 *   it lands and returns a turn later, while other calls may land: it covers only what
 *   had landed when it started, and only once it returns. By default every call lands
 *   the moment it is made.
 * - Every call has its synchronous twin (`renameSync` beside `rename`, `file.syncSync`
 *   beside `file.sync`): the same body, the same op name in the log, so crash points and
 *   injected faults count and hit both alike. The asynchronous call is its twin run when
 *   it lands; a synchronous call lands at once, even with `landInAnyOrder` (it cannot
 *   wait), and a synchronous fsync covers what has landed and is durable when it returns.
 *
 * Directory metadata (mode, owner, times) is durable at once; only entries are modelled.
 * Symbolic links are created by `symlink()` (a test helper, not a Disk call), durably.
 *
 * `{ platform: 'windows' }` plays Windows's rules on NTFS (its capabilities say so):
 * - a folder cannot be synced (`syncDir` fails with EPERM, as Node's does there). NTFS
 *   logs entry changes in its metadata journal, written in order: after a power cut a
 *   prefix of them persists (not any subset), and a file's sync, which must make the
 *   file's own size and allocation (logged metadata) durable, flushes that journal up to
 *   that point: every entry change issued before a file sync persists;
 * - a rename over a file that some handle holds open fails with EPERM, and so do a
 *   rename and an unlink of a file that another program holds (`holdOpen`: a reader, an
 *   indexer, an antivirus) until it lets go; this process's own handles allow removal
 *   (Node opens files with FILE_SHARE_DELETE);
 * - names are compared without case (the stored spelling is kept and reported);
 * - a file used as a folder in a path gives ENOENT, not ENOTDIR;
 * - a file opened read-only cannot be synced (EPERM: FlushFileBuffers needs write access);
 * - files have no owners: chown does nothing, as libuv's does there.
 * Paths stay in POSIX syntax (the library's node:path is POSIX's on this host); backslashes
 * and drive letters are exercised under Wine instead (test/windows).
 */
import { posix } from 'node:path';
import {
  POSIX_CAPABILITIES,
  WINDOWS_CAPABILITIES,
  type DiskCapabilities,
  type DiskDir,
  type DiskFile,
  type DiskStat,
  type DualDisk,
  type OpenFlags,
} from '../../src/disk/index.js';
import { SimCrashError, sysError } from './sim-errors.js';
import { rngOf, below, type Rng } from './prng.js';

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const MAX_HOPS = 40;
const ROOT = 1;
const UID = process.getuid?.() ?? 0;
const GID = process.getgid?.() ?? 0;

interface Meta {
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
}

type DataOp =
  { kind: 'write'; pos: number; bytes: Buffer } | { kind: 'truncate'; len: number } | ({ kind: 'meta' } & Meta);

interface FileNode {
  kind: 'file';
  data: Buffer;
  meta: Meta;
  durableData: Buffer;
  durableMeta: Meta;
  pending: DataOp[];
}
interface DirNode {
  kind: 'dir';
  entries: Map<string, number>;
  durable: Map<string, number>;
  meta: Meta;
}
interface LinkNode {
  kind: 'symlink';
  target: string;
  meta: Meta;
}
type Node = FileNode | DirNode | LinkNode;

/** One half of a directory entry change: `name` in `dir` now names `ino` (or nothing). */
interface EntryPart {
  dir: number;
  name: string;
  ino: number | undefined;
  /** Its directory has been synced since the change. */
  synced: boolean;
}
interface EntryChange {
  parts: EntryPart[];
}

/** The durable content of a disk after a power cut: inodes by number, root is 1. */
export type ImageNode =
  | { kind: 'file'; data: Buffer; meta: Meta }
  | { kind: 'dir'; entries: Map<string, number>; meta: Meta }
  | { kind: 'symlink'; target: string; meta: Meta };
export type Image = Map<number, ImageNode>;

export type CrashMode =
  { kind: 'lost' } | { kind: 'kept' } | { kind: 'subset'; seed: number } | { kind: 'torn'; seed: number };

export function describeMode(m: CrashMode): string {
  return m.kind === 'subset' || m.kind === 'torn' ? `${m.kind}#${m.seed}` : m.kind;
}

export interface CallRecord {
  n: number;
  op: string;
  path: string;
  dest?: string | undefined;
}

export interface Fault {
  /** The 1-based number of the call that fails. */
  at: number;
  code: string;
  /** Also fail every later call with the same op and path (so that retries exhaust). */
  persistent?: boolean;
}

export type SimPlatform = 'posix' | 'windows';

export interface SimOptions {
  /** Whose rules the disk plays (default POSIX). */
  platform?: SimPlatform | undefined;
}

/** What a path holds, for checks: file content, directory, or link target. */
export type Entry =
  { kind: 'file'; data: Buffer; mode: number } | { kind: 'dir' } | { kind: 'symlink'; target: string };

function now(): number {
  return Date.now();
}

function applyOps(base: Buffer, meta: Meta, ops: DataOp[]): { data: Buffer; meta: Meta } {
  let data = base;
  let m = meta;
  for (const op of ops) {
    if (op.kind === 'meta') m = { mode: op.mode, uid: op.uid, gid: op.gid, mtimeMs: op.mtimeMs };
    else if (op.kind === 'truncate') data = resize(data, op.len);
    else data = writeAt(data, op.pos, op.bytes);
  }
  return { data, meta: m };
}

function resize(data: Buffer, len: number): Buffer {
  if (len <= data.length) return Buffer.from(data.subarray(0, len));
  return Buffer.concat([data, Buffer.alloc(len - data.length)]);
}

function writeAt(data: Buffer, pos: number, bytes: Buffer): Buffer {
  const out = resize(data, Math.max(data.length, pos + bytes.length));
  bytes.copy(out, pos);
  return out;
}

interface Resolved {
  parent: number;
  name: string;
  /** The canonical absolute path of the entry. */
  path: string;
  ino: number | undefined;
}

export class SimDisk implements DualDisk {
  private readonly nodes = new Map<number, Node>();
  private nextIno = 2;
  private changes: EntryChange[] = [];
  private calls = 0;
  private crashAt = Infinity;
  private crashed = false;
  private faults: Fault[] = [];
  private readonly persistentFaults: { op: string; path: string; code: string }[] = [];
  readonly log: CallRecord[] = [];
  umask = 0o022;
  /** With `landInAnyOrder`: the calls in flight, each waiting for its turn to land. */
  private inFlight: { rng: Rng; waiting: (() => void)[]; scheduled: boolean } | undefined;
  /** Folders standing for other file systems: rename and link across them fail with EXDEV. */
  private readonly mounts: string[] = [];
  private readonly devs = new Map<number, number>();
  readonly platform: SimPlatform;
  readonly capabilities: DiskCapabilities;
  /** Open handles per inode: this process's (SimFile) and other programs' (holdOpen). */
  private readonly openCount = new Map<number, number>();
  private readonly held = new Map<number, { count: number; code: string }>();

  constructor(image?: Image, options: SimOptions = {}) {
    this.platform = options.platform ?? 'posix';
    this.capabilities = this.platform === 'windows' ? WINDOWS_CAPABILITIES : POSIX_CAPABILITIES;
    if (!image) {
      this.nodes.set(ROOT, { kind: 'dir', entries: new Map(), durable: new Map(), meta: this.newMeta(0o755) });
      return;
    }
    for (const [ino, n] of image) {
      this.nextIno = Math.max(this.nextIno, ino + 1);
      if (n.kind === 'file')
        this.nodes.set(ino, {
          kind: 'file',
          data: n.data,
          durableData: n.data,
          meta: n.meta,
          durableMeta: n.meta,
          pending: [],
        });
      else if (n.kind === 'dir')
        this.nodes.set(ino, { kind: 'dir', entries: new Map(n.entries), durable: new Map(n.entries), meta: n.meta });
      else this.nodes.set(ino, { ...n });
    }
  }

  /**
   * A disk holding `image`, as found after the reboot. `ageMs` moves every time stamp
   * back: recovery runs a while after the cut, so temporary files are no longer recent.
   */
  static fromImage(image: Image, ageMs = 0, options: SimOptions = {}): SimDisk {
    if (ageMs === 0) return new SimDisk(image, options);
    const aged: Image = new Map();
    for (const [ino, n] of image) aged.set(ino, { ...n, meta: { ...n.meta, mtimeMs: n.meta.mtimeMs - ageMs } });
    return new SimDisk(aged, options);
  }

  private get windows(): boolean {
    return this.platform === 'windows';
  }

  /**
   * Windows only: another program opens `path` without sharing deletion (a reader, an
   * indexer, an antivirus). Until the returned function is called, renames over it and
   * of it, and its removal, fail with `code`.
   */
  holdOpen(path: string, code = 'EPERM'): () => void {
    const ino = this.resolve(path, true, 'hold').ino;
    if (ino === undefined) throw new Error(`sim: nothing to hold at ${path}`);
    const h = this.held.get(ino) ?? { count: 0, code };
    h.count++;
    this.held.set(ino, h);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--h.count === 0) this.held.delete(ino);
    };
  }

  /** A handle of this process opened (+1) or closed (-1). */
  countOpen(ino: number, delta: number): void {
    const n = (this.openCount.get(ino) ?? 0) + delta;
    if (n > 0) this.openCount.set(ino, n);
    else this.openCount.delete(ino);
  }

  /** Windows: fails if another program holds `ino`, or (`replacing`) if any handle has it open. */
  private checkSharing(
    ino: number | undefined,
    replacing: boolean,
    syscall: string,
    path: string,
    dest?: string,
  ): void {
    if (!this.windows || ino === undefined) return;
    const h = this.held.get(ino);
    if (h) throw sysError(h.code, syscall, path, dest);
    if (replacing && this.openCount.has(ino)) throw sysError('EPERM', syscall, path, dest);
  }

  /** Makes `path` (created if needed) the root of another file system. */
  mount(path: string): void {
    this.seedDir(path);
    this.mounts.push(posix.resolve(path));
  }

  private devOf(path: string): number {
    let dev = 1;
    this.mounts.forEach((m, i) => {
      if (path === m || path.startsWith(m + '/')) dev = i + 2;
    });
    return dev;
  }

  private born(ino: number, path: string): number {
    this.devs.set(ino, this.devOf(path));
    return ino;
  }

  // ---- control -----------------------------------------------------------------

  /** Call number `k` (1-based) is the last that runs; 0 crashes before any call. */
  crashAfter(k: number): void {
    this.crashAt = k;
    if (this.calls >= k) this.crashed = true;
  }

  /** From now on, calls in flight together land in an order drawn from `seed`. */
  landInAnyOrder(seed: number): void {
    this.inFlight = { rng: rngOf(seed), waiting: [], scheduled: false };
  }

  get reordering(): boolean {
    return this.inFlight !== undefined;
  }

  /** Resolves when this call's turn to land has come (only with `landInAnyOrder`). */
  land(): Promise<void> {
    const f = this.inFlight;
    if (!f) return Promise.resolve();
    return new Promise<void>((resolve) => {
      f.waiting.push(resolve);
      this.scheduleLanding();
    });
  }

  private scheduleLanding(): void {
    const f = this.inFlight;
    if (!f || f.scheduled || f.waiting.length === 0) return;
    f.scheduled = true;
    // One landing per turn of the event loop: what the previous one woke runs first, and
    // the calls it makes join those in flight.
    setImmediate(() => {
      f.scheduled = false;
      const [go] = f.waiting.splice(below(f.rng, f.waiting.length), 1);
      go?.();
      this.scheduleLanding();
    });
  }

  get callCount(): number {
    return this.calls;
  }

  get isCrashed(): boolean {
    return this.crashed;
  }

  injectFault(fault: Fault): void {
    this.faults.push(fault);
  }

  clearFaults(): void {
    this.faults = [];
    this.persistentFaults.length = 0;
  }

  /** Number of pending (unsynced) entry changes and data operations. */
  pendingCount(): number {
    let n = this.changes.length;
    for (const node of this.nodes.values()) if (node.kind === 'file') n += node.pending.length;
    return n;
  }

  /** What the disk could hold after a power cut now, under `mode`. */
  crashImage(mode: CrashMode): Image {
    const rng = mode.kind === 'subset' || mode.kind === 'torn' ? rngOf(mode.seed) : undefined;
    const keep = (): boolean => (mode.kind === 'kept' ? true : rng ? rng() < 0.5 : false);
    const image: Image = new Map();
    const dirs = new Map<number, Map<string, number>>();
    for (const [ino, node] of this.nodes) {
      if (node.kind === 'dir') {
        const entries = new Map(node.durable);
        dirs.set(ino, entries);
        image.set(ino, { kind: 'dir', entries, meta: node.meta });
      } else if (node.kind === 'symlink') {
        image.set(ino, { kind: 'symlink', target: node.target, meta: node.meta });
      } else {
        const ops = node.pending.filter(() => keep());
        const torn = mode.kind === 'torn' && rng ? this.tear(ops, rng) : ops;
        const { data, meta } = applyOps(node.durableData, node.durableMeta, torn);
        image.set(ino, { kind: 'file', data, meta });
      }
    }
    // NTFS's metadata journal keeps a prefix of the entry changes, in issue order.
    const prefix = !this.windows
      ? Infinity
      : mode.kind === 'lost'
        ? 0
        : mode.kind === 'kept' || !rng
          ? this.changes.length
          : below(rng, this.changes.length + 1);
    for (const [i, change] of this.changes.entries()) {
      const durable = change.parts.every((p) => p.synced);
      if (this.windows ? i >= prefix && !durable : !keep() && !durable) continue;
      for (const p of change.parts) {
        const entries = dirs.get(p.dir);
        if (!entries) continue;
        if (p.ino === undefined) entries.delete(p.name);
        else entries.set(p.name, p.ino);
      }
    }
    return prune(image);
  }

  /** Torn writes: each kept write may persist only a prefix, the rest of its range garbage. */
  private tear(ops: DataOp[], rng: Rng): DataOp[] {
    return ops.map((op) => {
      if (op.kind !== 'write' || op.bytes.length === 0 || rng() < 0.5) return op;
      const keepLen = below(rng, op.bytes.length);
      const bytes = Buffer.from(op.bytes);
      for (let i = keepLen; i < bytes.length; i++) bytes[i] = 0xa5 ^ (i & 0xff);
      return { kind: 'write', pos: op.pos, bytes };
    });
  }

  // ---- test helpers (not Disk calls: no logging, durable at once) ------------------

  /** Creates directories and a file durably, as setup before a scenario. */
  seedFile(path: string, data: string | Uint8Array, mode = 0o644): void {
    this.seedDir(posix.dirname(path));
    const parent = this.lookupDir(posix.dirname(path));
    const buf = Buffer.from(data);
    const ino = this.born(this.nextIno++, posix.resolve(path));
    const meta = this.newMeta(mode);
    this.nodes.set(ino, { kind: 'file', data: buf, durableData: buf, meta, durableMeta: meta, pending: [] });
    parent.entries.set(posix.basename(path), ino);
    parent.durable.set(posix.basename(path), ino);
  }

  seedDir(path: string): void {
    let dir = this.dirNode(ROOT);
    let at = '';
    for (const name of path.split('/').filter(Boolean)) {
      at += `/${name}`;
      let ino = dir.entries.get(name);
      if (ino === undefined) {
        ino = this.born(this.nextIno++, at);
        this.nodes.set(ino, { kind: 'dir', entries: new Map(), durable: new Map(), meta: this.newMeta(0o755) });
        dir.entries.set(name, ino);
        dir.durable.set(name, ino);
      }
      dir = this.dirNode(ino);
    }
  }

  symlink(target: string, path: string): void {
    const parent = this.lookupDir(posix.dirname(path));
    const ino = this.nextIno++;
    this.nodes.set(ino, { kind: 'symlink', target, meta: this.newMeta(0o777) });
    parent.entries.set(posix.basename(path), ino);
    parent.durable.set(posix.basename(path), ino);
  }

  /** Every path below `root` (volatile view, symlinks not followed), sorted. */
  tree(root = '/'): Map<string, Entry> {
    const out = new Map<string, Entry>();
    const top = posix.resolve(root);
    const walk = (ino: number, path: string): void => {
      const node = this.nodes.get(ino);
      if (!node) return;
      if (node.kind === 'file') out.set(path, { kind: 'file', data: node.data, mode: node.meta.mode & 0o7777 });
      else if (node.kind === 'symlink') out.set(path, { kind: 'symlink', target: node.target });
      else {
        if (path !== top) out.set(path, { kind: 'dir' });
        for (const name of [...node.entries.keys()].sort()) walk(node.entries.get(name)!, posix.join(path, name));
      }
    };
    const start = this.resolveOrUndefined(root);
    if (start !== undefined) walk(start, top);
    return out;
  }

  /** The content of a file in the volatile view, or undefined. */
  contentOf(path: string): string | undefined {
    const e = this.tree(posix.dirname(path)).get(posix.resolve(path));
    return e?.kind === 'file' ? e.data.toString() : undefined;
  }

  // ---- the Disk interface ----------------------------------------------------------
  // Each call is its synchronous twin, run when the call lands (at once, unless calls
  // land in any order): one body per call, so that the two cannot drift apart.

  async open(path: string, flags: OpenFlags, mode = 0o666): Promise<DiskFile> {
    if (this.inFlight) await this.land();
    return this.openSync(path, flags, mode);
  }

  openSync(path: string, flags: OpenFlags, mode = 0o666): SimFile {
    this.enter('open', path);
    const create = flags !== 'r' && flags !== 'r+';
    const exclusive = flags === 'wx' || flags === 'ax';
    // O_CREAT|O_EXCL fails on any existing name, a dangling symbolic link included.
    if (exclusive && this.resolve(path, false, 'open').ino !== undefined) throw sysError('EEXIST', 'open', path);
    const r = this.resolve(path, true, 'open');
    let ino = r.ino;
    if (ino === undefined) {
      if (!create) throw sysError('ENOENT', 'open', path);
      ino = this.born(this.nextIno++, r.path);
      const meta = this.newMeta(mode & ~this.umask & 0o7777);
      this.nodes.set(ino, {
        kind: 'file',
        data: Buffer.alloc(0),
        durableData: Buffer.alloc(0),
        meta,
        durableMeta: meta,
        pending: [],
      });
      // A new inode's durable metadata is its creation metadata; its data starts empty.
      this.setEntry(r.parent, r.name, ino);
    }
    const node = this.nodes.get(ino)!;
    if (node.kind === 'dir' && flags !== 'r') throw sysError('EISDIR', 'open', path);
    if (flags === 'w' && node.kind === 'file' && node.data.length > 0) this.fileOp(node, { kind: 'truncate', len: 0 });
    this.countOpen(ino, 1);
    return new SimFile(this, path, ino, flags);
  }

  async stat(path: string): Promise<DiskStat> {
    if (this.inFlight) await this.land();
    return this.statSync(path);
  }

  statSync(path: string): DiskStat {
    this.enter('stat', path);
    return this.statOf(this.existing(path, true, 'stat'));
  }

  async lstat(path: string): Promise<DiskStat> {
    if (this.inFlight) await this.land();
    return this.lstatSync(path);
  }

  lstatSync(path: string): DiskStat {
    this.enter('lstat', path);
    return this.statOf(this.existing(path, false, 'lstat'));
  }

  async realpath(path: string): Promise<string> {
    if (this.inFlight) await this.land();
    return this.realpathSync(path);
  }

  realpathSync(path: string): string {
    this.enter('realpath', path);
    const r = this.resolve(path, true, 'realpath');
    if (r.ino === undefined) throw sysError('ENOENT', 'realpath', path);
    return r.path;
  }

  async readlink(path: string): Promise<string> {
    if (this.inFlight) await this.land();
    return this.readlinkSync(path);
  }

  readlinkSync(path: string): string {
    this.enter('readlink', path);
    const node = this.nodes.get(this.existing(path, false, 'readlink'))!;
    if (node.kind !== 'symlink') throw sysError('EINVAL', 'readlink', path);
    return node.target;
  }

  async readdir(path: string): Promise<string[]> {
    if (this.inFlight) await this.land();
    return this.readdirSync(path);
  }

  readdirSync(path: string): string[] {
    this.enter('readdir', path);
    const node = this.nodes.get(this.existing(path, true, 'scandir'))!;
    if (node.kind !== 'dir') throw sysError('ENOTDIR', 'scandir', path);
    return [...node.entries.keys()];
  }

  async mkdir(path: string, mode = 0o777): Promise<void> {
    if (this.inFlight) await this.land();
    this.mkdirSync(path, mode);
  }

  mkdirSync(path: string, mode = 0o777): void {
    this.enter('mkdir', path);
    const r = this.resolve(path, false, 'mkdir');
    if (r.ino !== undefined) throw sysError('EEXIST', 'mkdir', path);
    const ino = this.born(this.nextIno++, r.path);
    this.nodes.set(ino, {
      kind: 'dir',
      entries: new Map(),
      durable: new Map(),
      meta: this.newMeta(mode & ~this.umask & 0o7777),
    });
    this.setEntry(r.parent, r.name, ino);
  }

  async rmdir(path: string): Promise<void> {
    if (this.inFlight) await this.land();
    this.rmdirSync(path);
  }

  rmdirSync(path: string): void {
    this.enter('rmdir', path);
    const r = this.resolve(path, false, 'rmdir');
    if (r.ino === undefined) throw sysError('ENOENT', 'rmdir', path);
    if (r.ino === ROOT) throw sysError('EBUSY', 'rmdir', path);
    const node = this.nodes.get(r.ino)!;
    if (node.kind !== 'dir') throw sysError('ENOTDIR', 'rmdir', path);
    if (node.entries.size > 0) throw sysError('ENOTEMPTY', 'rmdir', path);
    this.setEntry(r.parent, r.name, undefined);
  }

  async rename(from: string, to: string): Promise<void> {
    if (this.inFlight) await this.land();
    this.renameSync(from, to);
  }

  renameSync(from: string, to: string): void {
    this.enter('rename', from, to);
    const a = this.resolve(from, false, 'rename', to);
    if (a.ino === undefined) throw sysError('ENOENT', 'rename', from, to);
    const b = this.resolve(to, false, 'rename', to);
    if (this.devOf(a.path) !== this.devOf(b.path)) throw sysError('EXDEV', 'rename', from, to);
    const src = this.nodes.get(a.ino)!;
    if (b.ino === a.ino) return;
    this.checkSharing(a.ino, false, 'rename', from, to);
    this.checkSharing(b.ino, true, 'rename', from, to);
    if (src.kind === 'dir' && (b.path + '/').startsWith(a.path + '/')) throw sysError('EINVAL', 'rename', from, to);
    if (b.ino !== undefined) {
      const dst = this.nodes.get(b.ino)!;
      if (dst.kind === 'dir' && src.kind !== 'dir') throw sysError('EISDIR', 'rename', from, to);
      if (dst.kind !== 'dir' && src.kind === 'dir') throw sysError('ENOTDIR', 'rename', from, to);
      if (dst.kind === 'dir' && dst.entries.size > 0) throw sysError('ENOTEMPTY', 'rename', from, to);
    }
    this.dirNode(a.parent).entries.delete(a.name);
    this.dirNode(b.parent).entries.set(b.name, a.ino);
    this.changes.push({
      parts: [
        { dir: a.parent, name: a.name, ino: undefined, synced: false },
        { dir: b.parent, name: b.name, ino: a.ino, synced: false },
      ],
    });
  }

  async link(existing: string, to: string): Promise<void> {
    if (this.inFlight) await this.land();
    this.linkSync(existing, to);
  }

  linkSync(existing: string, to: string): void {
    this.enter('link', existing, to);
    const a = this.resolve(existing, false, 'link', to);
    if (a.ino === undefined) throw sysError('ENOENT', 'link', existing, to);
    if (this.nodes.get(a.ino)!.kind === 'dir') throw sysError('EPERM', 'link', existing, to);
    const b = this.resolve(to, false, 'link', to);
    if (b.ino !== undefined) throw sysError('EEXIST', 'link', existing, to);
    if (this.devOf(a.path) !== this.devOf(b.path)) throw sysError('EXDEV', 'link', existing, to);
    this.setEntry(b.parent, b.name, a.ino);
  }

  async unlink(path: string): Promise<void> {
    if (this.inFlight) await this.land();
    this.unlinkSync(path);
  }

  unlinkSync(path: string): void {
    this.enter('unlink', path);
    const r = this.resolve(path, false, 'unlink');
    if (r.ino === undefined) throw sysError('ENOENT', 'unlink', path);
    if (this.nodes.get(r.ino)!.kind === 'dir') throw sysError('EISDIR', 'unlink', path);
    this.checkSharing(r.ino, false, 'unlink', path);
    this.setEntry(r.parent, r.name, undefined);
  }

  async chmod(path: string, mode: number): Promise<void> {
    if (this.inFlight) await this.land();
    this.chmodSync(path, mode);
  }

  chmodSync(path: string, mode: number): void {
    this.enter('chmod', path);
    this.changeMeta(this.existing(path, true, 'chmod'), { mode: mode & 0o7777 });
  }

  async chown(path: string, uid: number, gid: number): Promise<void> {
    if (this.inFlight) await this.land();
    this.chownSync(path, uid, gid);
  }

  chownSync(path: string, uid: number, gid: number): void {
    this.enter('chown', path);
    const ino = this.existing(path, true, 'chown');
    if (!this.windows) this.changeMeta(ino, { uid, gid });
  }

  async utimes(path: string, atimeMs: number, mtimeMs: number): Promise<void> {
    if (this.inFlight) await this.land();
    this.utimesSync(path, atimeMs, mtimeMs);
  }

  utimesSync(path: string, _atimeMs: number, mtimeMs: number): void {
    this.enter('utime', path);
    this.changeMeta(this.existing(path, true, 'utime'), { mtimeMs });
  }

  async syncDir(path: string): Promise<void> {
    if (!this.inFlight) return this.syncDirSync(path);
    await this.land();
    return this.inFlightSync('syncDir', path, this.startDirSync(this.enterDirSync(path, () => this.dirToSync(path))));
  }

  syncDirSync(path: string): void {
    this.syncDirNode(this.enterDirSync(path, () => this.dirToSync(path)));
  }

  /**
   * A folder opened ahead of its sync. The sync is of the inode opened, whatever the path
   * names by then; it counts as a `syncDir` call (for crash points and logs), and opening
   * changes nothing on disk, so it is no call of its own.
   */
  async openDir(path: string): Promise<DiskDir> {
    if (this.crashed) throw SimCrashError.at('openDir', path);
    const ino = this.dirToSync(path);
    return {
      path,
      sync: async () => {
        if (this.inFlight) await this.land();
        this.enterDirSync(path, () => ino);
        if (this.inFlight) return this.inFlightSync('syncDir', path, this.startDirSync(ino));
        this.syncDirNode(ino);
      },
      close: async () => undefined,
    };
  }

  /** The start of a folder sync, counted as a `syncDir` call: the folder's inode, or its error. */
  private enterDirSync(path: string, find: () => number): number {
    this.enter('syncDir', path);
    const ino = find();
    if (this.windows) throw sysError('EPERM', 'fsync', path);
    return ino;
  }

  private dirToSync(path: string): number {
    // The real disk opens the folder first: a missing one fails there.
    const ino = this.existing(path, true, 'open');
    if (this.nodes.get(ino)?.kind !== 'dir') throw sysError('ENOTDIR', 'open', path);
    return ino;
  }

  // ---- used by SimFile ---------------------------------------------------------------

  /** Counts and logs a call; throws once crashed or when a fault is injected here. */
  enter(op: string, path: string, dest?: string): void {
    if (this.crashed) throw SimCrashError.at(op, path);
    this.calls++;
    this.log.push({ n: this.calls, op, path, dest });
    if (this.calls >= this.crashAt) this.crashed = true;
    const sticky = this.persistentFaults.find((f) => f.op === op && f.path === path);
    if (sticky) throw sysError(sticky.code, op, path, dest);
    const fault = this.faults.find((f) => f.at === this.calls);
    if (fault) {
      if (fault.persistent) this.persistentFaults.push({ op, path, code: fault.code });
      throw sysError(fault.code, op, path, dest);
    }
  }

  node(ino: number): Node {
    const n = this.nodes.get(ino);
    if (!n) throw new Error(`sim: no inode ${ino}`);
    return n;
  }

  fileOp(node: FileNode, op: DataOp): void {
    const { data, meta } = applyOps(node.data, node.meta, [op]);
    node.data = data;
    node.meta = op.kind === 'meta' ? meta : { ...meta, mtimeMs: now() };
    node.pending.push(op);
  }

  syncFile(ino: number): void {
    // NTFS: the sync flushes the metadata journal, every earlier entry change with it.
    if (this.windows) this.flushJournal();
    const node = this.node(ino);
    if (node.kind === 'dir') return this.syncDirNode(ino);
    if (node.kind !== 'file') return;
    node.durableData = node.data;
    node.durableMeta = node.meta;
    node.pending = [];
  }

  changeMeta(ino: number, change: Partial<Meta>): void {
    const node = this.node(ino);
    const meta = { ...node.meta, ...change };
    if (node.kind === 'file') this.fileOp(node, { kind: 'meta', ...meta });
    else node.meta = meta;
  }

  statOf(ino: number): DiskStat {
    const node = this.node(ino);
    const type = node.kind === 'file' ? S_IFREG : node.kind === 'dir' ? S_IFDIR : S_IFLNK;
    const size = node.kind === 'file' ? node.data.length : node.kind === 'symlink' ? node.target.length : 4096;
    const nlink = this.linkCount(ino);
    const meta = node.meta;
    return {
      isFile: () => node.kind === 'file',
      isDirectory: () => node.kind === 'dir',
      isSymbolicLink: () => node.kind === 'symlink',
      size,
      mode: type | (meta.mode & 0o7777),
      uid: meta.uid,
      gid: meta.gid,
      ino,
      dev: this.devs.get(ino) ?? 1,
      nlink,
      mtimeMs: meta.mtimeMs,
    };
  }

  // ---- internals -----------------------------------------------------------------------

  private newMeta(mode: number): Meta {
    return { mode, uid: UID, gid: GID, mtimeMs: now() };
  }

  private dirNode(ino: number): DirNode {
    const n = this.node(ino);
    if (n.kind !== 'dir') throw new Error(`sim: inode ${ino} is not a directory`);
    return n;
  }

  private lookupDir(path: string): DirNode {
    const r = this.resolve(path, true, 'seed');
    if (r.ino === undefined) throw new Error(`sim: no directory ${path}`);
    return this.dirNode(r.ino);
  }

  private setEntry(dir: number, name: string, ino: number | undefined): void {
    const entries = this.dirNode(dir).entries;
    if (ino === undefined) entries.delete(name);
    else entries.set(name, ino);
    this.changes.push({ parts: [{ dir, name, ino, synced: false }] });
  }

  /**
   * With calls landing in any order, a sync starts when it lands and returns a turn later,
   * while other calls in flight may land; it covers only what had landed when it started,
   * and only once it returns (a sync cut short by the power cut covers nothing).
   */
  async inFlightSync(op: string, path: string, finish: () => void): Promise<void> {
    await this.land();
    if (this.crashed) throw SimCrashError.at(op, path);
    finish();
  }

  /** A folder sync started now: its finisher makes the entry changes made so far durable. */
  private startDirSync(ino: number): () => void {
    const covered = new Set(this.changes);
    return () => this.syncDirNode(ino, covered);
  }

  /** A file sync started now: its finisher makes the file as it is now durable. */
  startFileSync(ino: number): () => void {
    const node = this.node(ino);
    if (node.kind === 'dir') return this.startDirSync(ino);
    if (node.kind !== 'file') return () => undefined;
    const [data, meta, count] = [node.data, node.meta, node.pending.length];
    return () => {
      node.durableData = data;
      node.durableMeta = meta;
      node.pending = node.pending.slice(count);
    };
  }

  /** Windows: every entry change issued so far is durable (see the class comment). */
  private flushJournal(): void {
    for (const change of this.changes) for (const p of change.parts) p.synced = true;
    this.foldDurable();
  }

  private syncDirNode(ino: number, covered?: Set<EntryChange>): void {
    this.dirNode(ino);
    for (const change of this.changes)
      if (!covered || covered.has(change)) for (const p of change.parts) if (p.dir === ino) p.synced = true;
    this.foldDurable();
  }

  private foldDurable(): void {
    // Fold fully durable changes into the durable entries, from the front only, so that
    // the order of changes to one name is kept.
    while (this.changes[0]?.parts.every((p) => p.synced)) {
      for (const p of this.changes.shift()!.parts) {
        const durable = this.dirNode(p.dir).durable;
        if (p.ino === undefined) durable.delete(p.name);
        else durable.set(p.name, p.ino);
      }
    }
  }

  private linkCount(ino: number): number {
    let n = 0;
    for (const node of this.nodes.values()) {
      if (node.kind !== 'dir') continue;
      for (const v of node.entries.values()) if (v === ino) n++;
    }
    return n;
  }

  private existing(path: string, follow: boolean, syscall: string): number {
    const r = this.resolve(path, follow, syscall);
    if (r.ino === undefined) throw sysError('ENOENT', syscall, path);
    return r.ino;
  }

  private resolveOrUndefined(path: string): number | undefined {
    try {
      return this.resolve(path, true, 'tree').ino;
    } catch {
      return undefined;
    }
  }

  /** The entry `name` in `dir`: its stored spelling and inode; under Windows, found without case. */
  private lookup(dir: DirNode, name: string): [string, number | undefined] {
    const ino = dir.entries.get(name);
    if (ino !== undefined || !this.windows) return [name, ino];
    const folded = name.toLowerCase();
    for (const [stored, i] of dir.entries) if (stored.toLowerCase() === folded) return [stored, i];
    return [name, undefined];
  }

  /** Walks `path` from the root through the volatile entries, following symbolic links. */
  private resolve(path: string, followLast: boolean, syscall: string, dest?: string): Resolved {
    const fail = (code: string): never => {
      throw sysError(code, syscall, path, dest);
    };
    let pending = posix.resolve(path).split('/').filter(Boolean);
    let dir = ROOT;
    let at: string[] = [];
    let hops = 0;
    if (pending.length === 0) return { parent: ROOT, name: '', path: '/', ino: ROOT };
    for (;;) {
      const pending0 = pending[0]!;
      pending = pending.slice(1);
      const node = this.node(dir);
      if (node.kind !== 'dir') return fail('ENOTDIR');
      const [name, ino] = this.lookup(node, pending0);
      const last = pending.length === 0;
      const child = ino === undefined ? undefined : this.node(ino);
      if (child?.kind === 'symlink' && (!last || followLast)) {
        if (++hops > MAX_HOPS) return fail('ELOOP');
        const target = child.target.startsWith('/') ? child.target : posix.join('/', ...at, child.target);
        pending = [...posix.resolve(target).split('/').filter(Boolean), ...pending];
        dir = ROOT;
        at = [];
        continue;
      }
      if (last) return { parent: dir, name, path: '/' + [...at, name].join('/'), ino };
      if (ino === undefined) return fail('ENOENT');
      // Windows reports a file used as a folder as a missing path (ERROR_PATH_NOT_FOUND).
      if (child?.kind !== 'dir') return fail(this.windows ? 'ENOENT' : 'ENOTDIR');
      dir = ino;
      at = [...at, name];
    }
  }
}

/** Drops inodes no longer reachable from the root (freed by the file system after the cut). */
function prune(image: Image): Image {
  const seen = new Set<number>();
  const visit = (ino: number): void => {
    if (seen.has(ino)) return;
    seen.add(ino);
    const n = image.get(ino);
    if (n?.kind === 'dir') for (const c of n.entries.values()) visit(c);
  };
  visit(ROOT);
  for (const ino of [...image.keys()]) if (!seen.has(ino)) image.delete(ino);
  // A persisted entry may name an inode whose own creation did not persist: not possible
  // here, since inodes exist from creation; entries to freed inodes cannot arise.
  return image;
}

/** A file opened on a `SimDisk`: each call is its synchronous twin, run when the call lands. */
export class SimFile implements DiskFile {
  private offset = 0;
  private closed = false;

  constructor(
    private readonly sim: SimDisk,
    readonly path: string,
    private readonly ino: number,
    private readonly flags: OpenFlags,
  ) {}

  private check(op: string): void {
    this.sim.enter(op, this.path);
    if (this.closed) throw sysError('EBADF', op, this.path);
  }

  async write(data: Uint8Array, position?: number): Promise<void> {
    if (this.sim.reordering) await this.sim.land();
    this.writeSync(data, position);
  }

  writeSync(data: Uint8Array, position?: number): void {
    this.check('write');
    if (this.flags === 'r') throw sysError('EBADF', 'write', this.path);
    const node = this.sim.node(this.ino);
    if (node.kind !== 'file') throw sysError('EISDIR', 'write', this.path);
    const append = this.flags === 'a' || this.flags === 'ax';
    const pos = append ? node.data.length : (position ?? this.offset);
    this.sim.fileOp(node, { kind: 'write', pos, bytes: Buffer.from(data) });
    if (position === undefined) this.offset = pos + data.byteLength;
  }

  async read(buffer: Uint8Array, position: number, length = buffer.byteLength): Promise<number> {
    if (this.sim.reordering) await this.sim.land();
    return this.readSync(buffer, position, length);
  }

  readSync(buffer: Uint8Array, position: number, length = buffer.byteLength): number {
    this.check('read');
    if (this.flags !== 'r' && this.flags !== 'r+') throw sysError('EBADF', 'read', this.path);
    const node = this.sim.node(this.ino);
    if (node.kind !== 'file') throw sysError('EISDIR', 'read', this.path);
    const n = Math.max(0, Math.min(length, node.data.length - position));
    if (n > 0) node.data.copy(buffer, 0, position, position + n);
    return n;
  }

  async sync(): Promise<void> {
    if (!this.sim.reordering) return this.syncSync();
    await this.sim.land();
    this.enterSync();
    return this.sim.inFlightSync('fsync', this.path, this.sim.startFileSync(this.ino));
  }

  syncSync(): void {
    this.enterSync();
    this.sim.syncFile(this.ino);
  }

  /** The start of an fsync, counted and checked, whichever way it runs. */
  private enterSync(): void {
    this.check('fsync');
    // FlushFileBuffers needs write access.
    if (this.sim.platform === 'windows' && this.flags === 'r') throw sysError('EPERM', 'fsync', this.path);
  }

  async stat(): Promise<DiskStat> {
    if (this.sim.reordering) await this.sim.land();
    return this.statSync();
  }

  statSync(): DiskStat {
    this.check('fstat');
    return this.sim.statOf(this.ino);
  }

  async chmod(mode: number): Promise<void> {
    if (this.sim.reordering) await this.sim.land();
    this.chmodSync(mode);
  }

  chmodSync(mode: number): void {
    this.check('fchmod');
    this.sim.changeMeta(this.ino, { mode: mode & 0o7777 });
  }

  async chown(uid: number, gid: number): Promise<void> {
    if (this.sim.reordering) await this.sim.land();
    this.chownSync(uid, gid);
  }

  chownSync(uid: number, gid: number): void {
    this.check('fchown');
    this.sim.changeMeta(this.ino, { uid, gid });
  }

  async truncate(length: number): Promise<void> {
    if (this.sim.reordering) await this.sim.land();
    this.truncateSync(length);
  }

  truncateSync(length: number): void {
    this.check('ftruncate');
    if (this.flags === 'r') throw sysError('EINVAL', 'ftruncate', this.path);
    const node = this.sim.node(this.ino);
    if (node.kind !== 'file') throw sysError('EISDIR', 'ftruncate', this.path);
    this.sim.fileOp(node, { kind: 'truncate', len: length });
  }

  async close(): Promise<void> {
    if (this.sim.reordering) await this.sim.land();
    this.closeSync();
  }

  closeSync(): void {
    this.check('close');
    this.closed = true;
    this.sim.countOpen(this.ino, -1);
  }
}
