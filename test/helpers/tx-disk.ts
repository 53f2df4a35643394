/**
 * A real disk (nodeDisk) with faults: a chosen call fails with an error code, once, or
 * "crashes": that call and every later one fail, as if the process had died there while
 * the files it already changed stay as they are. A thin form of fault-disk.ts for the
 * transaction tests, which count the calls that change or read the disk (not opening a
 * folder ahead of its sync, nor closing a file: the kernel closes a dead process's files).
 */
import { faultDisk, type Call as FaultCall, type FaultDisk } from './fault-disk.js';

export type Call = Pick<FaultCall, 'op' | 'path' | 'to'>;

export interface Fault {
  /** Which call fails. */
  when: (call: Call) => boolean;
  code?: string;
  /** Once the fault fired, every later call fails too (a simulated death). */
  crash?: boolean;
}

export interface FaultyDisk extends FaultDisk {
  /** Calls made while armed (opening folders and closing files left out). */
  readonly calls: FaultCall[];
  readonly fired: boolean;
}

const counted = (c: FaultCall): boolean => c.op !== 'openDir' && c.op !== 'file.close';

export function faultyDisk(fault: Fault): FaultyDisk {
  const disk = faultDisk();
  const when = (c: FaultCall): boolean => counted(c) && fault.when(c);
  const rule = fault.crash ? disk.crash(when, fault.code) : disk.fail(when, fault.code);
  const all = disk.calls;
  return Object.defineProperties(disk, {
    calls: { get: () => all.filter(counted) },
    fired: { get: () => rule.hits > 0 },
  }) as FaultyDisk;
}
