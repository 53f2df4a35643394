/**
 * A real disk (nodeDisk) with faults: a chosen call fails with an error code, once, or
 * "crashes": that call and every later one fail, as if the process had died there while
 * the files it already changed stay as they are.
 */
import { nodeDisk, type Disk, type DiskFile } from '../../src/disk/index.js';

export type Call = { op: string; path: string; to?: string | undefined };

export interface Fault {
  /** Which call fails. */
  when: (call: Call) => boolean;
  code?: string;
  /** Once the fault fired, every later call fails too (a simulated death). */
  crash?: boolean;
}

export interface FaultyDisk extends Disk {
  /** Calls made while armed. */
  calls: Call[];
  fired: boolean;
  /** Faults fire, and calls are counted, only while armed (default: at once). */
  armed: boolean;
}

function sysErr(code: string, call: Call): Error {
  return Object.assign(new Error(`${code}: injected at ${call.op} ${call.path}`), { code, syscall: call.op });
}

export function faultyDisk(fault: Fault): FaultyDisk {
  let dead = false;
  const disk = { calls: [] as Call[], fired: false, armed: true } as FaultyDisk;
  const gate = (call: Call): void => {
    if (!disk.armed) return;
    disk.calls.push(call);
    if (dead) throw sysErr('ESIMCRASH', call);
    if (!disk.fired && fault.when(call)) {
      disk.fired = true;
      if (fault.crash) dead = true;
      throw sysErr(fault.code ?? 'EIO', call);
    }
  };
  const wrapFile = (f: DiskFile): DiskFile => ({
    path: f.path,
    write: async (data, pos) => (gate({ op: 'file.write', path: f.path }), f.write(data, pos)),
    read: async (buf, pos, len) => (gate({ op: 'file.read', path: f.path }), f.read(buf, pos, len)),
    sync: async () => (gate({ op: 'file.sync', path: f.path }), f.sync()),
    stat: async () => (gate({ op: 'file.stat', path: f.path }), f.stat()),
    chmod: async (m) => (gate({ op: 'file.chmod', path: f.path }), f.chmod(m)),
    chown: async (u, g) => (gate({ op: 'file.chown', path: f.path }), f.chown(u, g)),
    truncate: async (n) => (gate({ op: 'file.truncate', path: f.path }), f.truncate(n)),
    // close always works: a dead process's descriptors are closed by the kernel.
    close: () => f.close(),
  });
  Object.assign(disk, {
    capabilities: nodeDisk.capabilities,
    open: async (p: string, flags: Parameters<Disk['open']>[1], mode?: number) => (
      gate({ op: 'open', path: p }),
      wrapFile(await nodeDisk.open(p, flags, mode))
    ),
    stat: async (p: string) => (gate({ op: 'stat', path: p }), nodeDisk.stat(p)),
    lstat: async (p: string) => (gate({ op: 'lstat', path: p }), nodeDisk.lstat(p)),
    realpath: async (p: string) => (gate({ op: 'realpath', path: p }), nodeDisk.realpath(p)),
    readlink: async (p: string) => (gate({ op: 'readlink', path: p }), nodeDisk.readlink(p)),
    readdir: async (p: string) => (gate({ op: 'readdir', path: p }), nodeDisk.readdir(p)),
    mkdir: async (p: string, m?: number) => (gate({ op: 'mkdir', path: p }), nodeDisk.mkdir(p, m)),
    rmdir: async (p: string) => (gate({ op: 'rmdir', path: p }), nodeDisk.rmdir(p)),
    rename: async (a: string, b: string) => (gate({ op: 'rename', path: a, to: b }), nodeDisk.rename(a, b)),
    link: async (a: string, b: string) => (gate({ op: 'link', path: a, to: b }), nodeDisk.link(a, b)),
    unlink: async (p: string) => (gate({ op: 'unlink', path: p }), nodeDisk.unlink(p)),
    chmod: async (p: string, m: number) => (gate({ op: 'chmod', path: p }), nodeDisk.chmod(p, m)),
    chown: async (p: string, u: number, g: number) => (gate({ op: 'chown', path: p }), nodeDisk.chown(p, u, g)),
    utimes: async (p: string, a: number, m: number) => (gate({ op: 'utimes', path: p }), nodeDisk.utimes(p, a, m)),
    syncDir: async (p: string) => (gate({ op: 'syncDir', path: p }), nodeDisk.syncDir(p)),
    // Opening a folder changes nothing; its sync is the call that counts.
    openDir: async (p: string) => {
      const dir = await nodeDisk.openDir!(p);
      return { path: p, sync: async () => (gate({ op: 'syncDir', path: p }), dir.sync()), close: () => dir.close() };
    },
  });
  return disk;
}
