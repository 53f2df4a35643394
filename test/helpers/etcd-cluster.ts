/**
 * A real three-member etcd cluster on loopback ports for the coordinator's tests, from
 * Debian's `etcd-server` package (/usr/bin/etcd). Data folders live in a temporary folder;
 * stop() ends every member and removes them.
 *
 * Where etcd (or root, or unshare for the "hosts") is missing, the tests skip with a
 * message saying so, unless ATOMICFS_REQUIRE_ETCD=1 (set by .ci/run), which makes the
 * lack a failure: CI must not pass by skipping them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { once } from 'node:events';
import { Etcd3 } from 'etcd3';

export const ETCD = process.env.ATOMICFS_ETCD_BIN ?? '/usr/bin/etcd';

/** Why the cluster tests cannot run here, or undefined if they can. */
export function whyNot(needHosts: boolean): string | undefined {
  if (!existsSync(ETCD)) return `${ETCD} not found (apt-get install -y etcd-server)`;
  if (needHosts && process.getuid?.() !== 0) return 'the "hosts" need root (unshare --pid --uts)';
  if (needHosts && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', '--uts', 'true']).status !== 0)
    return 'unshare --pid --fork --mount-proc --uts does not work here';
  return undefined;
}

/** The skip option for node:test, or a failure when CI requires etcd. */
export function skipUnlessEtcd(needHosts: boolean): string | false {
  const reason = whyNot(needHosts);
  if (reason === undefined) return false;
  if (process.env.ATOMICFS_REQUIRE_ETCD === '1')
    throw new Error(`ATOMICFS_REQUIRE_ETCD=1 but the etcd tests cannot run: ${reason}`);
  return `etcd tests skipped: ${reason}`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Member {
  name: string;
  client: string;
  peer: string;
  dir: string;
  proc: ChildProcess | undefined;
}

export class EtcdCluster {
  private constructor(
    private readonly base: string,
    readonly members: Member[],
  ) {}

  get endpoints(): string[] {
    return this.members.map((m) => m.client);
  }

  static async start(size = 3): Promise<EtcdCluster> {
    const base = await mkdtemp(join(tmpdir(), 'atomicfs-etcd-'));
    const members: Member[] = [];
    for (let i = 0; i < size; i++) {
      const [c, p] = [await freePort(), await freePort()];
      members.push({
        name: `m${i}`,
        client: `http://127.0.0.1:${c}`,
        peer: `http://127.0.0.1:${p}`,
        dir: join(base, `m${i}`),
        proc: undefined,
      });
    }
    const cluster = new EtcdCluster(base, members);
    for (const m of members) cluster.launch(m, 'new');
    await cluster.waitHealthy();
    return cluster;
  }

  private launch(m: Member, state: 'new' | 'existing'): void {
    const initial = this.members.map((x) => `${x.name}=${x.peer}`).join(',');
    m.proc = spawn(
      ETCD,
      [
        `--name=${m.name}`,
        `--data-dir=${m.dir}`,
        `--listen-client-urls=${m.client}`,
        `--advertise-client-urls=${m.client}`,
        `--listen-peer-urls=${m.peer}`,
        `--initial-advertise-peer-urls=${m.peer}`,
        `--initial-cluster=${initial}`,
        `--initial-cluster-state=${state}`,
        `--initial-cluster-token=${this.base}`,
        '--log-level=error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    m.proc.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    m.proc.on('exit', (code, signal) => {
      if (code !== 0 && code !== null && signal === null)
        process.stderr.write(`etcd ${m.name} exited ${code}: ${err}\n`);
    });
  }

  /** Waits until a write through the running members succeeds. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const running = this.members.filter((m) => m.proc !== undefined);
    const client = new Etcd3({ hosts: running.map((m) => m.client) });
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        try {
          await client
            .put('atomicfs-test/health')
            .value('ok')
            .options({ deadline: new Date(Date.now() + 2000) });
          return;
        } catch (err) {
          if (Date.now() > deadline)
            throw new Error(`etcd cluster not healthy after ${timeoutMs} ms: ${String(err)}`, { cause: err });
          await sleep(200);
        }
      }
    } finally {
      client.close();
    }
  }

  /** The index of the current leader. */
  async leader(): Promise<number> {
    for (let i = 0; i < this.members.length; i++) {
      const m = this.members[i];
      if (!m?.proc) continue;
      const client = new Etcd3({ hosts: [m.client] });
      try {
        const status = await client.maintenance.status();
        if (status.leader === status.header.member_id) return i;
      } catch {
        // a member that does not answer is not the leader
      } finally {
        client.close();
      }
    }
    throw new Error('no leader');
  }

  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const m = this.members[i];
    if (!m?.proc) return;
    const proc = m.proc;
    m.proc = undefined;
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = once(proc, 'exit');
      proc.kill(signal);
      await exited;
    }
  }

  async restart(i: number): Promise<void> {
    const m = this.members[i];
    if (!m || m.proc) return;
    this.launch(m, 'existing');
    await this.waitHealthy();
  }

  /** Starts every stopped member again. */
  async restartAll(): Promise<void> {
    for (const m of this.members) if (!m.proc) this.launch(m, 'existing');
    await this.waitHealthy();
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((_, i) => this.kill(i, 'SIGTERM')));
    await rm(this.base, { recursive: true, force: true });
  }
}
