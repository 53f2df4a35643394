/**
 * One "host" of the coordinator tests: run by the test in its own PID and UTS namespaces
 * (so its pid is 1 and its host name is the other hosts' too, as in containers), sharing
 * one folder with the others. `node etcd-host.js <command> <json options>`; it reports on
 * stdout, one JSON object per line.
 *
 *   counter  {file, n}                      n increments of a JSON counter with updateJson
 *   commit   {root, files, value, remove?, pause?, go?}
 *                                           one transaction writing `value` to every file
 *                                           (and deleting `remove`); with `pause`, it prints
 *                                           {"paused":true} just before ('before') or just after
 *                                           ('after') its commit decision and waits for the file
 *                                           `go` to appear (the test stops it meanwhile)
 *   loop     {root, files, tag}             commits `<tag>-<k>` to every file, k = 1, 2, …
 *   recover  {root, until?}                 recover(root); with `until`, again and again until that file exists
 *
 * Every command takes {endpoints, leaseMs}.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { recover, transaction, updateJson, type AtomicError, type TransactionError } from '../../src/index.js';
import { etcdCoordinator, type Coordinator, type EtcdCoordinator } from '../../src/etcd/index.js';

interface Options {
  endpoints: string[];
  leaseMs: number;
  file?: string;
  n?: number;
  root?: string;
  files?: string[];
  value?: string;
  remove?: string;
  pause?: 'before' | 'after';
  go?: string;
  tag?: string;
  until?: string;
}

const [command = '', json = '{}'] = process.argv.slice(2);
const opts = JSON.parse(json) as Options;
const say = (o: object): void => void process.stdout.write(JSON.stringify(o) + '\n');

function failure(err: unknown): object {
  const e = err as Partial<TransactionError & { cause: AtomicError }>;
  return { ok: false, code: e.code, rolledBack: e.rolledBack, cause: e.cause?.code, message: e.message };
}

/** The coordinator, its decision step paused where the test asks. */
function paused(real: EtcdCoordinator): Coordinator {
  const wait = async (): Promise<void> => {
    say({ paused: true });
    while (!existsSync(opts.go ?? '')) await sleep(20);
  };
  const decideCommit = async (id: string, keys: readonly string[]): Promise<boolean> => {
    if (opts.pause === 'before') await wait();
    const decided = await real.decideCommit(id, keys);
    if (opts.pause === 'after') await wait();
    return decided;
  };
  return new Proxy(real, {
    get(target, name) {
      if (name === 'decideCommit') return decideCommit;
      const v: unknown = Reflect.get(target, name);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function commitOnce(coordinator: Coordinator, value: string): Promise<void> {
  const tx = await transaction({ root: opts.root ?? '', coordinator });
  for (const f of opts.files ?? []) tx.writeFile(f, value);
  if (opts.remove !== undefined) tx.deleteFile(opts.remove);
  await tx.commit();
}

async function main(): Promise<void> {
  const real = etcdCoordinator({ endpoints: opts.endpoints, leaseMs: opts.leaseMs });
  try {
    if (command === 'counter') {
      for (let i = 0; i < (opts.n ?? 0); i++)
        await updateJson<number>(opts.file ?? '', (c) => (c ?? 0) + 1, { coordinator: real, default: 0 });
      say({ ok: true });
    } else if (command === 'commit') {
      try {
        await commitOnce(opts.pause ? paused(real) : real, opts.value ?? '');
        say({ ok: true });
      } catch (err) {
        say(failure(err));
      }
    } else if (command === 'loop') {
      say({ ready: true });
      for (let k = 1; ; k++) {
        try {
          await commitOnce(real, `${opts.tag ?? ''}-${k}`);
          say({ committed: k });
        } catch (err) {
          say({ ...failure(err), k });
        }
      }
    } else if (command === 'recover') {
      do {
        try {
          say({ ok: true, report: await recover(opts.root ?? '', { coordinator: real }) });
        } catch (err) {
          say(failure(err));
        }
      } while (opts.until !== undefined && !existsSync(opts.until));
    } else {
      throw new Error(`unknown command ${command}`);
    }
  } finally {
    await real.close().catch(() => undefined);
  }
}

await main();
