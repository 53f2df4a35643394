/**
 * The Coordinator (lock/coordinator.ts) kept in etcd, on the `etcd3` client.
 *
 * One lease per coordinator (one per process, as a rule), kept alive by the client while
 * the process lives; if it is lost (the process was paused or cut off for longer than
 * `leaseMs`), the next request makes a new one, and every lock held under the old one is
 * gone: its holder learns it at its next step (a refused commit decision, a release that
 * reports the loss). Keys, under `prefix`:
 *
 *   x/<path>            the exclusive holder of a lock (value: holder), under the lease
 *   s/<path>\0<holder>  one shared holder, under the lease
 *   owner/<id>          transaction <id> is in progress, under its owner's lease
 *   decision/<id>       "committed" or "aborted": no lease, it must outlive its owner
 *
 * Every request is bounded by `timeout` (and by the caller's budget); a failure becomes an
 * AtomicError ECOORDINATOR that names the endpoints. A claim whose request failed may have
 * gone through all the same: it is dropped in the background, so it cannot hold a lock for
 * as long as the process lives.
 */
import type * as Etcd from 'etcd3';
import { AtomicError } from '../base/errors.js';
import { lazily } from '../base/load-lazily.js';
import type { ClaimResult, Coordinator, Decision } from '../lock/coordinator.js';

export interface EtcdCoordinatorOptions {
  /** The cluster's client URLs, e.g. `['http://10.0.0.1:2379', 'http://10.0.0.2:2379']`. */
  endpoints: string | readonly string[];
  /**
   * How long a holder may go unheard before its locks die (default 10 000 ms). Rounded up
   * to whole seconds (etcd counts leases in seconds, and refuses less than about 2 s with
   * its default timing). A process paused or cut off for longer loses its locks: it can
   * no longer commit, and recovery elsewhere may take over its transactions.
   */
  leaseMs?: number | undefined;
  /** Key prefix for everything atomicfs keeps in etcd (default `atomicfs/`). */
  prefix?: string | undefined;
  /** The longest one request to etcd may take before ECOORDINATOR (default 5000 ms). */
  timeout?: number | undefined;
  /** etcd user and password, if the cluster has authentication on. */
  auth?: { username: string; password: string } | undefined;
  /** TLS: the cluster's CA (and a client certificate, for mutual TLS). */
  credentials?: { rootCertificate: Buffer; privateKey?: Buffer; certChain?: Buffer } | undefined;
}

export interface EtcdCoordinator extends Coordinator {
  readonly endpoints: readonly string[];
  /** Revokes the lease (this process's locks are dropped at once) and closes the connection. Call it before exit. */
  close(): Promise<void>;
}

type Etcd3Module = typeof Etcd;
type Client = Etcd.Etcd3;

const loadEtcd3 = lazily<Etcd3Module>('etcd3');

interface LeaseState {
  lease: Etcd.Lease;
  id: Promise<string>;
}

const OPTION_NAMES = new Set(['endpoints', 'leaseMs', 'prefix', 'timeout', 'auth', 'credentials']);

export function etcdCoordinator(opts: EtcdCoordinatorOptions): EtcdCoordinator {
  return new EtcdCoordinatorImpl(opts);
}

function checkOptions(opts: EtcdCoordinatorOptions): {
  endpoints: string[];
  leaseSeconds: number;
  prefix: string;
  timeout: number;
} {
  const bad = (what: string): AtomicError => new AtomicError('EINVAL', `etcdCoordinator: ${what}`);
  if (typeof opts !== 'object' || opts === null) throw bad('options with endpoints are required');
  for (const name of Object.keys(opts))
    if (!OPTION_NAMES.has(name)) throw bad(`unknown option ${JSON.stringify(name)}`);
  const endpoints =
    typeof opts.endpoints === 'string'
      ? [opts.endpoints]
      : Array.isArray(opts.endpoints)
        ? [...(opts.endpoints as readonly unknown[])]
        : [];
  if (endpoints.length === 0 || !endpoints.every((e) => typeof e === 'string' && e !== ''))
    throw bad('endpoints must be a non-empty list of URLs such as http://127.0.0.1:2379');
  const leaseMs = opts.leaseMs ?? 10_000;
  if (!(Number.isFinite(leaseMs) && leaseMs > 0))
    throw bad(`leaseMs must be a number of ms > 0, got ${String(opts.leaseMs)}`);
  const timeout = opts.timeout ?? 5000;
  if (!(Number.isFinite(timeout) && timeout > 0))
    throw bad(`timeout must be a number of ms > 0, got ${String(opts.timeout)}`);
  const prefix = opts.prefix ?? 'atomicfs/';
  if (typeof prefix !== 'string') throw bad('prefix must be a string');
  return { endpoints: endpoints as string[], leaseSeconds: Math.max(1, Math.ceil(leaseMs / 1000)), prefix, timeout };
}

class EtcdCoordinatorImpl implements EtcdCoordinator {
  readonly endpoints: readonly string[];
  private readonly leaseSeconds: number;
  private readonly prefix: string;
  private readonly timeout: number;
  private readonly opts: EtcdCoordinatorOptions;
  private etcd: Client | undefined;
  private leaseState: LeaseState | undefined;
  private closed = false;
  /** Claims whose request failed: dropped in the background once etcd answers. */
  private readonly orphans = new Set<() => Promise<unknown>>();
  private orphanTimer: NodeJS.Timeout | undefined;

  constructor(opts: EtcdCoordinatorOptions) {
    const checked = checkOptions(opts);
    this.opts = opts;
    this.endpoints = checked.endpoints;
    this.leaseSeconds = checked.leaseSeconds;
    this.prefix = checked.prefix;
    this.timeout = checked.timeout;
  }

  private client(): Client {
    if (this.closed)
      throw new AtomicError('ECOORDINATOR', `etcd at ${this.endpoints.join(', ')}: the coordinator was closed`);
    if (this.etcd) return this.etcd;
    let mod: Etcd3Module;
    try {
      mod = loadEtcd3();
    } catch (err) {
      throw new AtomicError(
        'ECOORDINATOR',
        'atomicfs/etcd needs the etcd3 package, which is an optional peer dependency: npm install etcd3@1.1.2',
        { cause: err },
      );
    }
    this.etcd = new mod.Etcd3({
      hosts: [...this.endpoints],
      dialTimeout: this.timeout,
      ...(this.opts.auth ? { auth: this.opts.auth } : {}),
      ...(this.opts.credentials ? { credentials: this.opts.credentials } : {}),
    });
    return this.etcd;
  }

  private key(kind: 'x' | 'owner' | 'decision', name: string): string {
    return `${this.prefix}${kind}/${name}`;
  }

  private readersOf(path: string): string {
    return `${this.prefix}s/${path}\0`;
  }

  /** Runs one request within the budget; any failure is ECOORDINATOR. */
  private async request<T>(
    what: string,
    budgetMs: number | undefined,
    run: (etcd: Client, options: { deadline: Date }) => Promise<T>,
  ): Promise<T> {
    const ms = Math.min(budgetMs ?? this.timeout, this.timeout);
    const deadline = new Date(Date.now() + ms);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([run(this.client(), { deadline }), expired]);
    } catch (err) {
      if (err instanceof AtomicError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new AtomicError('ECOORDINATOR', `etcd at ${this.endpoints.join(', ')}: ${what}: ${reason}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** This process's lease, granted on first use and again after it was lost. */
  private async leaseId(etcd: Client): Promise<string> {
    let state = this.leaseState;
    if (!state) {
      const lease = etcd.lease(this.leaseSeconds, { autoKeepAlive: true });
      const made: LeaseState = { lease, id: lease.grant() };
      const forget = (): void => {
        if (this.leaseState === made) this.leaseState = undefined;
      };
      lease.on('lost', forget);
      made.id.catch(forget);
      this.leaseState = state = made;
    }
    return state.id;
  }

  /** Runs a request that puts keys under the lease, once more with a new lease if etcd says ours is gone. */
  private async underLease<T>(
    what: string,
    budgetMs: number | undefined,
    run: (etcd: Client, lease: string, options: { deadline: Date }) => Promise<T>,
  ): Promise<T> {
    return this.request(what, budgetMs, async (etcd, options) => {
      for (let attempt = 1; ; attempt++) {
        const state = this.leaseState;
        try {
          return await run(etcd, await this.leaseId(etcd), options);
        } catch (err) {
          // Paused past our lease: the client may not have noticed yet. Make a new one.
          if (attempt > 1 || !(err instanceof Error) || !/lease/i.test(err.message)) throw err;
          if (this.leaseState === state) this.leaseState = undefined;
          state?.lease.release();
        }
      }
    });
  }

  async claim(keys: readonly string[], holder: string, shared: boolean, budgetMs?: number): Promise<ClaimResult> {
    try {
      return await this.underLease(`lock ${keys[0] ?? ''}`, budgetMs, async (etcd, lease, options) => {
        let txn = etcd.if(this.key('x', keys[0] ?? ''), 'Create', '==', 0).options(options);
        for (const k of keys.slice(1)) txn = txn.and(this.key('x', k), 'Create', '==', 0);
        const puts = keys.map((k) =>
          etcd
            .put(shared ? this.readersOf(k) + holder : this.key('x', k))
            .value(holder)
            .lease(lease),
        );
        const readers = shared ? [] : keys.map((k) => etcd.getAll().prefix(this.readersOf(k)).limit(1));
        const gets = keys.map((k) => etcd.get(this.key('x', k)));
        const res = await txn
          .then(...puts, ...readers)
          .else(...gets)
          .commit();
        if (!res.succeeded) {
          // Ours already (a retried claim): as good as claimed. Any other holder: busy.
          const mine = res.responses.every((r) => r.response_range.kvs[0]?.value.toString() === holder);
          return { claimed: mine && !shared, readers: false };
        }
        return {
          claimed: true,
          readers: res.responses.slice(keys.length).some((r) => Number(r.response_range.count) > 0),
        };
      });
    } catch (err) {
      this.dropLater(keys, holder, shared);
      throw err;
    }
  }

  // Reads are plain ranges, never a read-only txn: etcd 3.4 may answer a read-only txn
  // from a member that has not applied a write acknowledged just before (seen in this
  // project's tests), while a range is linearizable.

  async hasReaders(keys: readonly string[], budgetMs?: number): Promise<boolean> {
    if (keys.length === 0) return false;
    return this.request(`lock ${keys[0] ?? ''}`, budgetMs, async (etcd, options) => {
      const counts = await Promise.all(
        keys.map((k) => etcd.getAll().prefix(this.readersOf(k)).options(options).count()),
      );
      return counts.some((n) => n > 0);
    });
  }

  private heldBy(
    etcd: Client,
    keys: readonly string[],
    holder: string,
    exclusive: boolean,
    options: { deadline: Date },
  ): Etcd.ComparatorBuilder {
    const name = (k: string): string => (exclusive ? this.key('x', k) : this.readersOf(k) + holder);
    let txn = etcd.if(name(keys[0] ?? ''), 'Value', '==', holder).options(options);
    for (const k of keys.slice(1)) txn = txn.and(name(k), 'Value', '==', holder);
    return txn;
  }

  async holds(keys: readonly string[], holder: string, exclusive: boolean, budgetMs?: number): Promise<boolean> {
    return this.request(`check lock ${keys[0] ?? ''}`, budgetMs, async (etcd, options) => {
      const values = await Promise.all(
        keys.map((k) =>
          etcd
            .get(exclusive ? this.key('x', k) : this.readersOf(k) + holder)
            .options(options)
            .string(),
        ),
      );
      return values.every((v) => v === holder);
    });
  }

  async release(keys: readonly string[], holder: string, shared: boolean, budgetMs?: number): Promise<boolean> {
    if (keys.length === 0) return true;
    const name = (k: string): string => (shared ? this.readersOf(k) + holder : this.key('x', k));
    try {
      return await this.request(`unlock ${keys[0] ?? ''}`, budgetMs, async (etcd, options) => {
        const all = await this.heldBy(etcd, keys, holder, !shared, options)
          .then(...keys.map((k) => etcd.delete().key(name(k))))
          .commit();
        if (all.succeeded) return true;
        // Some were lost (and may be another holder's now): drop only those still ours.
        await Promise.all(
          keys.map((k) =>
            etcd
              .if(name(k), 'Value', '==', holder)
              .options(options)
              .then(etcd.delete().key(name(k)))
              .commit(),
          ),
        );
        return false;
      });
    } catch (err) {
      this.dropLater(keys, holder, shared);
      throw err;
    }
  }

  /** Drops claims whose request failed (they may have gone through), retrying in the background. */
  private dropLater(keys: readonly string[], holder: string, shared: boolean): void {
    if (this.closed) return; // the lease is revoked: every claim under it is gone
    const drop = (): Promise<boolean> => this.release(keys, holder, shared);
    this.orphans.add(drop);
    this.orphanTimer ??= setInterval(() => {
      for (const d of this.orphans) {
        this.orphans.delete(d);
        // A failing release re-adds itself through release()'s own dropLater.
        d().catch(() => undefined);
      }
      if (this.orphans.size === 0) {
        clearInterval(this.orphanTimer);
        this.orphanTimer = undefined;
      }
    }, 1000).unref();
  }

  async enter(id: string, budgetMs?: number): Promise<void> {
    await this.underLease(`begin transaction ${id}`, budgetMs, async (etcd, lease, options) => {
      await etcd.put(this.key('owner', id)).value('1').lease(lease).options(options);
    });
  }

  async leave(id: string, budgetMs?: number): Promise<void> {
    await this.request(`end transaction ${id}`, budgetMs, async (etcd, options) => {
      await etcd.delete().key(this.key('owner', id)).options(options);
    });
  }

  async isAlive(id: string, budgetMs?: number): Promise<boolean> {
    return this.request(`check transaction ${id}`, budgetMs, async (etcd, options) =>
      etcd.get(this.key('owner', id)).options(options).exists(),
    );
  }

  async decideCommit(id: string, keys: readonly string[], budgetMs?: number): Promise<boolean> {
    return this.request(`commit transaction ${id}`, budgetMs, async (etcd, options) => {
      let txn = etcd.if(this.key('decision', id), 'Create', '==', 0).options(options);
      for (const k of keys) txn = txn.and(this.key('x', k), 'Value', '==', id);
      return (await txn.then(etcd.put(this.key('decision', id)).value('committed')).commit()).succeeded;
    });
  }

  async decideAbort(id: string, budgetMs?: number): Promise<Decision> {
    return this.request(`abort transaction ${id}`, budgetMs, async (etcd, options) => {
      const res = await etcd
        .if(this.key('decision', id), 'Create', '==', 0)
        .options(options)
        .then(etcd.put(this.key('decision', id)).value('aborted'))
        .else(etcd.get(this.key('decision', id)))
        .commit();
      if (res.succeeded) return 'aborted';
      return res.responses[0]?.response_range.kvs[0]?.value.toString() === 'committed' ? 'committed' : 'aborted';
    });
  }

  async decision(id: string, budgetMs?: number): Promise<Decision | undefined> {
    return this.request(`read decision of transaction ${id}`, budgetMs, async (etcd, options) => {
      const value = await etcd.get(this.key('decision', id)).options(options).string();
      return value === 'committed' || value === 'aborted' ? value : undefined;
    });
  }

  async forget(id: string, budgetMs?: number): Promise<void> {
    await this.request(`forget transaction ${id}`, budgetMs, async (etcd, options) => {
      await etcd.delete().key(this.key('decision', id)).options(options);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const state = this.leaseState;
    this.leaseState = undefined;
    if (this.orphanTimer) clearInterval(this.orphanTimer);
    try {
      if (state) await this.request('revoke lease', undefined, () => state.lease.revoke());
    } finally {
      this.closed = true;
      this.etcd?.close();
    }
  }
}
